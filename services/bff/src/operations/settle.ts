/**
 * The projection side of operations: every consumed event becomes a step of its flow, and settles the
 * flow's operation when it is its command's direct outcome (OUTCOMES in @beacon/contracts). Tracking
 * flows settle by count: each batch event adds the items it settled, in one statement.
 */
import { sql, type Transaction } from 'kysely';
import { OUTCOMES } from '@beacon/contracts';
import type { Envelope } from '@beacon/messaging';
import type { Database } from '../db.js';
import { BROKER_UNAVAILABLE, TRACKING_COMMAND } from './claims.js';
import { recordStep } from './steps.js';

/** Adds settled tracking items to their flows (one statement per event batch); a flow completes when all arrived. */
export async function settleTrackingItems(trx: Transaction<Database>, counts: Map<string, number>): Promise<void> {
  if (counts.size === 0) return;
  const sorted = [...counts].sort(([a], [b]) => a.localeCompare(b));
  const ids = sorted.map(([id]) => id);
  await sql`UPDATE operations o SET settled = o.settled + t.n,
      status = CASE WHEN o.command_type = ${TRACKING_COMMAND} AND o.settled + t.n >= o.expected
        AND (o.status = 'pending' OR o.reason = ${BROKER_UNAVAILABLE}) THEN 'completed' ELSE o.status END,
      reason = CASE WHEN o.command_type = ${TRACKING_COMMAND} AND o.settled + t.n >= o.expected
        AND o.reason = ${BROKER_UNAVAILABLE} THEN NULL ELSE o.reason END,
      completed_at = CASE WHEN o.command_type = ${TRACKING_COMMAND} AND o.settled + t.n >= o.expected
        THEN clock_timestamp() ELSE o.completed_at END
    FROM unnest(${ids}::text[], ${sorted.map(([, n]) => n)}::int[]) AS t(id, n) WHERE o.correlation_id = t.id`.execute(
    trx,
  );
}

/** Called for every consumed event: adds the step and settles the operation on its direct outcome. */
export async function observeEvent(trx: Transaction<Database>, envelope: Envelope, reason?: string): Promise<void> {
  await recordStep(trx, envelope, 'event');
  const op = await trx
    .selectFrom('operations')
    .select(['command_type', 'status', 'reason'])
    .where('correlation_id', '=', envelope.correlationId)
    .executeTakeFirst();
  // A send that timed out may still have been stored: its real outcome replaces BROKER_UNAVAILABLE.
  if (!op || (op.status !== 'pending' && op.reason !== BROKER_UNAVAILABLE)) return;
  const status = settles(op.command_type, envelope.messageType);
  if (!status) return;
  await trx
    .updateTable('operations')
    .set({ status, reason: status === 'failed' ? (reason ?? null) : null, completed_at: new Date() })
    .where('correlation_id', '=', envelope.correlationId)
    .execute();
}

/** The status an event gives a pending operation of `commandType`, if it settles it. */
function settles(commandType: string, messageType: string): 'completed' | 'failed' | undefined {
  const outcome = OUTCOMES[commandType];
  if (outcome?.completed.includes(messageType)) return 'completed';
  if (outcome?.failed.includes(messageType)) return 'failed';
  return undefined;
}

/**
 * `observeEvent` for many events at once (a hot key's batch), with its effect: every step in one
 * insert, the operations they belong to in one read, and each settled operation updated. Within the
 * batch, as one at a time, the first event that settles an operation decides it.
 */
export async function observeEvents(
  trx: Transaction<Database>,
  events: Array<{ envelope: Envelope; reason?: string }>,
): Promise<void> {
  if (events.length === 0) return;
  await trx
    .insertInto('operation_steps')
    .values(
      events.map(({ envelope }) => ({
        message_id: envelope.messageId,
        correlation_id: envelope.correlationId,
        causation_id: envelope.causationId,
        kind: 'event',
        type: envelope.messageType,
        service: envelope.producer,
        occurred_at: envelope.occurredAt,
      })),
    )
    .onConflict((oc) => oc.column('message_id').doNothing())
    .execute();
  const ops = await trx
    .selectFrom('operations')
    .select(['correlation_id', 'command_type', 'status', 'reason'])
    .where('correlation_id', 'in', [...new Set(events.map((e) => e.envelope.correlationId))])
    .execute();
  const open = new Map(
    ops
      .filter((op) => op.status === 'pending' || op.reason === BROKER_UNAVAILABLE)
      .map((op) => [op.correlation_id, op]),
  );
  const settled: Array<{ correlationId: string; status: 'completed' | 'failed'; reason: string | null }> = [];
  for (const { envelope, reason } of events) {
    const op = open.get(envelope.correlationId);
    const status = op && settles(op.command_type, envelope.messageType);
    if (!status) continue;
    open.delete(envelope.correlationId);
    settled.push({
      correlationId: envelope.correlationId,
      status,
      reason: status === 'failed' ? (reason ?? null) : null,
    });
  }
  if (settled.length === 0) return;
  await sql`UPDATE operations o SET status = s.status, reason = s.reason, completed_at = ${new Date()}
    FROM unnest(${settled.map((s) => s.correlationId)}::text[], ${settled.map((s) => s.status)}::text[],
      ${settled.map((s) => s.reason)}::text[])
      AS s(correlation_id, status, reason)
    WHERE o.correlation_id = s.correlation_id`.execute(trx);
}
