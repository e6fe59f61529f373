/**
 * Operation timelines: every command the BFF publishes and every event it consumes is a step of
 * the flow its correlation id names. An operation's status is the direct outcome of its command.
 *
 * Tracking flows are the exception, because they are the volume: their operation row is claimed in
 * bulk (one statement per lingered batch) and counts the items it waits for; the batch events that
 * settle it add to that count in one statement; and their steps are read back from the read model
 * (which command batch carried each item, which event batch recorded it), never written per event.
 */
import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { sql, type Kysely, type Transaction } from 'kysely';
import { deleteInBatches, type Envelope } from '@beacon/messaging';
import type { Database } from '../db.js';
import { operationEndpoints } from './contract.js';
import { mount } from '../http/endpoint.js';
import { notFound } from '../http/problems.js';
import { has } from '../http/require-role.js';
import { principalOf } from '../http/jwt.js';

export const BROKER_UNAVAILABLE = 'BROKER_UNAVAILABLE';

/** For each command: the events that complete it, and those that fail it. */
const OUTCOMES: Record<string, { completed: string[]; failed: string[] }> = {
  'campaign.CreateCampaign': { completed: ['campaign.CampaignCreated'], failed: ['campaign.CampaignRejected'] },
  'campaign.ChangeCampaignStatus': {
    completed: ['campaign.CampaignStatusChanged'],
    failed: ['campaign.CampaignCommandRejected'],
  },
  'campaign.InviteInfluencers': {
    completed: ['campaign.InfluencersInvited'],
    failed: ['campaign.CampaignCommandRejected'],
  },
  'campaign.SubmitEvidence': {
    completed: ['campaign.EvidenceSubmitted'],
    failed: ['campaign.CampaignCommandRejected'],
  },
  'campaign.AcceptCampaign': { completed: ['campaign.InfluencerAccepted'], failed: ['campaign.AcceptanceRejected'] },
  // Flows of earlier releases, one tracking event per message.
  'tracking.RecordTrackingEvent': {
    completed: ['tracking.TrackingEventRecorded', 'tracking.TrackingEventIgnored'],
    failed: [],
  },
  'payment.RequestPayout': {
    completed: ['payment.PayoutCompleted'],
    failed: ['payment.PayoutRejected', 'payment.PayoutFailed'],
  },
};

type Executor = Kysely<Database> | Transaction<Database>;

export async function recordStep(db: Executor, envelope: Envelope, kind: 'command' | 'event'): Promise<void> {
  await db
    .insertInto('operation_steps')
    .values({
      message_id: envelope.messageId,
      correlation_id: envelope.correlationId,
      causation_id: envelope.causationId,
      kind,
      type: envelope.messageType,
      service: envelope.producer,
      occurred_at: envelope.occurredAt,
    })
    .onConflict((oc) => oc.column('message_id').doNothing())
    .execute();
}

/** A request's flow: its correlation id (which claiming may replace) and who started it. */
export interface Flow {
  correlationId: string;
  startedBy: string;
}

/**
 * Claims the flow's correlation id for its caller, atomically. An id that already names another
 * caller's operation is replaced by a fresh one (flow.correlationId changes), so nobody can read,
 * shadow or settle someone else's flow. The caller's own id is reused (a retry, a multi-step flow).
 */
export async function claimOperation(db: Executor, flow: Flow, commandType: string): Promise<void> {
  for (;;) {
    const claimed = await db
      .insertInto('operations')
      .values({
        correlation_id: flow.correlationId,
        started_by: flow.startedBy,
        command_type: commandType,
        status: 'pending',
        reason: null,
        completed_at: null,
      })
      .onConflict((oc) => oc.column('correlation_id').doNothing())
      .returning('started_by')
      .executeTakeFirst();
    if (claimed) return;
    const owner = await db
      .selectFrom('operations')
      .select('started_by')
      .where('correlation_id', '=', flow.correlationId)
      .executeTakeFirst();
    if (owner?.started_by === flow.startedBy) return;
    flow.correlationId = randomUUID();
  }
}

/** The command type of a tracking flow: its items travel in batches (see tracking-batches.ts). */
export const TRACKING_COMMAND = 'tracking.RecordTrackingEvents';

/**
 * Claims tracking flows in bulk, with the number of items each now waits for. Same rules as
 * claimOperation: a caller's own id is reused (its count grows), another caller's id is replaced.
 */
export async function claimTrackingOperations(db: Executor, flows: Array<Flow & { expected: number }>): Promise<void> {
  let unclaimed = flows;
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
      SELECT id, started_by, ${TRACKING_COMMAND}, 'pending', expected FROM unnest(${ids}::text[], ${flows.map((f) => f.startedBy)}::text[], ${flows.map((f) => f.expected)}::int[]) AS t(id, started_by, expected)
      ON CONFLICT (correlation_id) DO UPDATE SET expected = operations.expected + EXCLUDED.expected,
        status = CASE WHEN operations.command_type = ${TRACKING_COMMAND} THEN 'pending' ELSE operations.status END,
        reason = CASE WHEN operations.command_type = ${TRACKING_COMMAND} THEN NULL ELSE operations.reason END
      WHERE operations.started_by = EXCLUDED.started_by RETURNING correlation_id`.execute(db);
    const ok = new Set(claimed.rows.map((r) => r.correlation_id));
    unclaimed = unclaimed.filter((flow) => !ok.has(flow.correlationId));
    for (const flow of unclaimed) flow.correlationId = randomUUID();
  }
}

/** Adds settled tracking items to their flows (one statement per event batch); a flow completes when all arrived. */
export async function settleTrackingItems(trx: Transaction<Database>, counts: Map<string, number>): Promise<void> {
  if (counts.size === 0) return;
  const sorted = [...counts].sort(([a], [b]) => a.localeCompare(b));
  const ids = sorted.map(([id]) => id);
  await sql`UPDATE operations o SET settled = o.settled + t.n,
      status = CASE WHEN o.command_type = ${TRACKING_COMMAND} AND o.settled + t.n >= o.expected AND (o.status = 'pending' OR o.reason = ${BROKER_UNAVAILABLE}) THEN 'completed' ELSE o.status END,
      reason = CASE WHEN o.command_type = ${TRACKING_COMMAND} AND o.settled + t.n >= o.expected AND o.reason = ${BROKER_UNAVAILABLE} THEN NULL ELSE o.reason END,
      completed_at = CASE WHEN o.command_type = ${TRACKING_COMMAND} AND o.settled + t.n >= o.expected THEN clock_timestamp() ELSE o.completed_at END
    FROM unnest(${ids}::text[], ${sorted.map(([, n]) => n)}::int[]) AS t(id, n) WHERE o.correlation_id = t.id`.execute(
    trx,
  );
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
    FROM unnest(${settled.map((s) => s.correlationId)}::text[], ${settled.map((s) => s.status)}::text[], ${settled.map((s) => s.reason)}::text[])
      AS s(correlation_id, status, reason)
    WHERE o.correlation_id = s.correlation_id`.execute(trx);
}

export interface Step {
  messageId: string;
  causationId: string;
  kind: 'command' | 'event';
  type: string;
  service: string;
  occurredAt: string;
}

/** Parents before children (a depth-first walk from the roots); siblings by time. */
export function causalOrder(steps: Step[]): Step[] {
  const byParent = new Map<string, Step[]>();
  const ids = new Set(steps.map((s) => s.messageId));
  for (const s of steps) {
    const parent = ids.has(s.causationId) ? s.causationId : '';
    byParent.set(parent, [...(byParent.get(parent) ?? []), s]);
  }
  const ordered: Step[] = [];
  const walk = (parent: string) => {
    for (const s of (byParent.get(parent) ?? []).sort((a, b) => a.occurredAt.localeCompare(b.occurredAt))) {
      ordered.push(s);
      walk(s.messageId);
    }
  };
  walk('');
  return ordered;
}

/** A tracking flow's batch messages, read back from the read model: which command batch carried its items, which event batch recorded them. */
async function trackingSteps(db: Kysely<Database>, correlationId: string, startedAt: Date): Promise<Step[]> {
  const batches = await sql<{ command_message_id: string; recorded_message_id: string; recorded_at: string }>`
    SELECT command_message_id, recorded_message_id, min(recorded_at) AS recorded_at FROM (
      SELECT command_message_id, recorded_message_id, recorded_at FROM rm_tracking_events WHERE correlation_id = ${correlationId}
      UNION ALL SELECT command_message_id, recorded_message_id, recorded_at FROM rm_ignored_events WHERE correlation_id = ${correlationId}) b
    GROUP BY command_message_id, recorded_message_id`.execute(db);
  const steps = new Map<string, Step>();
  for (const b of batches.rows) {
    steps.set(b.command_message_id, {
      messageId: b.command_message_id,
      causationId: '',
      kind: 'command',
      type: TRACKING_COMMAND,
      service: 'bff',
      occurredAt: startedAt.toISOString(),
    });
    steps.set(b.recorded_message_id, {
      messageId: b.recorded_message_id,
      causationId: b.command_message_id,
      kind: 'event',
      type: 'tracking.TrackingEventsRecorded',
      service: 'tracking',
      occurredAt: b.recorded_at,
    });
  }
  return [...steps.values()];
}

/** GET /operations/{correlationId}: the caller's own flows (admin: any). */
export function operationRoutes(db: Kysely<Database>): Router {
  const router = Router();
  mount(router, operationEndpoints.getOperation, async ({ params }, req) => {
    const id = params.correlationId;
    const op = await db.selectFrom('operations').selectAll().where('correlation_id', '=', id).executeTakeFirst();
    if (!op || (!has(req, 'admin') && op.started_by !== principalOf(req.caller))) throw notFound('operation');
    const steps = (await db.selectFrom('operation_steps').selectAll().where('correlation_id', '=', id).execute()).map(
      (s) => ({
        messageId: s.message_id,
        causationId: s.causation_id,
        kind: s.kind as Step['kind'],
        type: s.type,
        service: s.service,
        occurredAt: s.occurred_at,
      }),
    );
    if (op.command_type === TRACKING_COMMAND) steps.push(...(await trackingSteps(db, id, op.created_at)));
    return {
      correlationId: id,
      status: op.status as 'pending' | 'completed' | 'failed',
      ...(op.reason ? { reason: op.reason } : {}),
      steps: causalOrder(steps),
    };
  });
  return router;
}

/** How long a flow's timeline can be read back: far longer than any flow takes to settle. */
export const OPERATION_RETENTION_DAYS = 7;

export async function pruneOperations(
  db: Kysely<Database>,
): Promise<{ operations: number; operationSteps: number; ignoredEvents: number }> {
  const plain = db as unknown as Kysely<unknown>;
  const operationSteps = await deleteInBatches(
    plain,
    (limit) => sql`DELETE FROM operation_steps WHERE ctid IN (SELECT ctid FROM operation_steps
    WHERE seen_at < clock_timestamp() - make_interval(days => ${OPERATION_RETENTION_DAYS}) LIMIT ${limit})`,
  );
  const operations = await deleteInBatches(
    plain,
    (limit) => sql`DELETE FROM operations WHERE ctid IN (SELECT ctid FROM operations
    WHERE created_at < clock_timestamp() - make_interval(days => ${OPERATION_RETENTION_DAYS}) LIMIT ${limit})`,
  );
  const ignoredEvents = await deleteInBatches(
    plain,
    (limit) => sql`DELETE FROM rm_ignored_events WHERE ctid IN (SELECT ctid FROM rm_ignored_events
    WHERE seen_at < clock_timestamp() - make_interval(days => ${OPERATION_RETENTION_DAYS}) LIMIT ${limit})`,
  );
  return { operations, operationSteps, ignoredEvents };
}
