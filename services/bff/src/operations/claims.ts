/**
 * The request side of operations: a request the BFF accepts claims its flow's operation row before
 * its command is published, and fails it if the broker never takes the command.
 *
 * Tracking flows are the volume: their operation rows are claimed in bulk (one statement per
 * lingered batch) and count the items they wait for (settle.ts adds to that count).
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Executor } from './steps.js';

export const BROKER_UNAVAILABLE = 'BROKER_UNAVAILABLE';

/** A request's flow: the correlation id it asks for (claiming may give it another) and who started it. */
export interface Flow {
  readonly correlationId: string;
  readonly startedBy: string;
}

/**
 * Claims the flow's correlation id for its caller, atomically, and returns the id claimed. An id that
 * already names another caller's operation is replaced by a fresh one, so nobody can read, shadow or
 * settle someone else's flow. The caller's own id is reused (a retry, a multi-step flow).
 */
export async function claimOperation(db: Executor, flow: Flow, commandType: string): Promise<string> {
  let correlationId = flow.correlationId;
  for (;;) {
    const claimed = await db
      .insertInto('operations')
      .values({
        correlation_id: correlationId,
        started_by: flow.startedBy,
        command_type: commandType,
        status: 'pending',
        reason: null,
        completed_at: null,
      })
      .onConflict((oc) => oc.column('correlation_id').doNothing())
      .returning('started_by')
      .executeTakeFirst();
    if (claimed) return correlationId;
    const owner = await db
      .selectFrom('operations')
      .select('started_by')
      .where('correlation_id', '=', correlationId)
      .executeTakeFirst();
    if (owner?.started_by === flow.startedBy) return correlationId;
    correlationId = randomUUID();
  }
}

/** The command type of a tracking flow: its items travel in batches (see tracking/batches.ts). */
export const TRACKING_COMMAND = 'tracking.RecordTrackingEvents';

/**
 * Claims tracking flows in bulk, with the number of items each now waits for, and returns the id
 * claimed for each flow, in order. Same rules as claimOperation: a caller's own id is reused (its
 * count grows), another caller's id is replaced.
 */
export async function claimTrackingOperations(
  db: Executor,
  requested: Array<Flow & { expected: number }>,
): Promise<string[]> {
  // Working copies: the ids being claimed change here, never the caller's flows.
  const all = requested.map((flow) => ({ ...flow }));
  let unclaimed = all;
  while (unclaimed.length > 0) {
    const rows = new Map<string, { startedBy: string; expected: number }>();
    for (const flow of unclaimed) {
      const row = rows.get(flow.correlationId);
      if (row && row.startedBy !== flow.startedBy) flow.correlationId = randomUUID();
      const same = rows.get(flow.correlationId);
      if (same) same.expected += flow.expected;
      else rows.set(flow.correlationId, { startedBy: flow.startedBy, expected: flow.expected });
    }
    const ids = [...rows.keys()];
    const flows = [...rows.values()];
    const claimed = await sql<{
      correlation_id: string;
    }>`INSERT INTO operations (correlation_id, started_by, command_type, status, expected)
      SELECT id, started_by, ${TRACKING_COMMAND}, 'pending', expected FROM unnest(${ids}::text[],
        ${flows.map((f) => f.startedBy)}::text[], ${flows.map((f) => f.expected)}::int[]) AS t(id, started_by, expected)
      ON CONFLICT (correlation_id) DO UPDATE SET expected = operations.expected + EXCLUDED.expected,
        status = CASE WHEN operations.command_type = ${TRACKING_COMMAND} THEN 'pending' ELSE operations.status END,
        reason = CASE WHEN operations.command_type = ${TRACKING_COMMAND} THEN NULL ELSE operations.reason END
      WHERE operations.started_by = EXCLUDED.started_by RETURNING correlation_id`.execute(db);
    const ok = new Set(claimed.rows.map((r) => r.correlation_id));
    unclaimed = unclaimed.filter((flow) => !ok.has(flow.correlationId));
    for (const flow of unclaimed) flow.correlationId = randomUUID();
  }
  return all.map((flow) => flow.correlationId);
}

/** A command that never reached the broker: its operation fails instead of waiting forever. */
export async function failOperation(db: Executor, correlationId: string | string[], reason: string): Promise<void> {
  const ids = typeof correlationId === 'string' ? [correlationId] : correlationId;
  if (ids.length === 0) return;
  await db
    .updateTable('operations')
    .set({ status: 'failed', reason, completed_at: new Date() })
    .where('correlation_id', 'in', ids)
    .where('status', '=', 'pending')
    .execute();
}
