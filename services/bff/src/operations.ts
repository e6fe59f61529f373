/**
 * Operation timelines: every command the BFF publishes and every event it consumes is a step of
 * the flow its correlation id names. An operation's status is the direct outcome of its command.
 */
import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { sql, type Kysely, type Transaction } from 'kysely';
import { deleteInBatches, type Envelope } from '@beacon/messaging';
import type { Database } from './db.js';
import { has, notFound, route } from './http.js';

export const BROKER_UNAVAILABLE = 'BROKER_UNAVAILABLE';

/** For each command: the events that complete it, and those that fail it. */
const OUTCOMES: Record<string, { completed: string[]; failed: string[] }> = {
  'campaign.CreateCampaign': { completed: ['campaign.CampaignCreated'], failed: ['campaign.CampaignRejected'] },
  'campaign.ChangeCampaignStatus': { completed: ['campaign.CampaignStatusChanged'], failed: ['campaign.CampaignCommandRejected'] },
  'campaign.InviteInfluencers': { completed: ['campaign.InfluencersInvited'], failed: ['campaign.CampaignCommandRejected'] },
  'campaign.SubmitEvidence': { completed: ['campaign.EvidenceSubmitted'], failed: ['campaign.CampaignCommandRejected'] },
  'campaign.AcceptCampaign': { completed: ['campaign.InfluencerAccepted'], failed: ['campaign.AcceptanceRejected'] },
  'tracking.RecordTrackingEvent': { completed: ['tracking.TrackingEventRecorded', 'tracking.TrackingEventIgnored'], failed: [] },
  'payment.RequestPayout': { completed: ['payment.PayoutCompleted'], failed: ['payment.PayoutRejected', 'payment.PayoutFailed'] },
};

type Executor = Kysely<Database> | Transaction<Database>;

export async function recordStep(db: Executor, envelope: Envelope, kind: 'command' | 'event'): Promise<void> {
  await db.insertInto('operation_steps').values({
    message_id: envelope.messageId, correlation_id: envelope.correlationId, causation_id: envelope.causationId,
    kind, type: envelope.messageType, service: envelope.producer, occurred_at: envelope.occurredAt,
  }).onConflict((oc) => oc.column('message_id').doNothing()).execute();
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
    const claimed = await db.insertInto('operations')
      .values({ correlation_id: flow.correlationId, started_by: flow.startedBy, command_type: commandType, status: 'pending', reason: null, completed_at: null })
      .onConflict((oc) => oc.column('correlation_id').doNothing()).returning('started_by').executeTakeFirst();
    if (claimed) return;
    const owner = await db.selectFrom('operations').select('started_by').where('correlation_id', '=', flow.correlationId).executeTakeFirst();
    if (owner?.started_by === flow.startedBy) return;
    flow.correlationId = randomUUID();
  }
}

/** A command that never reached the broker: its operation fails instead of waiting forever. */
export async function failOperation(db: Executor, correlationId: string, reason: string): Promise<void> {
  await db.updateTable('operations').set({ status: 'failed', reason, completed_at: new Date() })
    .where('correlation_id', '=', correlationId).where('status', '=', 'pending').execute();
}

/** Called for every consumed event: adds the step and settles the operation on its direct outcome. */
export async function observeEvent(trx: Transaction<Database>, envelope: Envelope, reason?: string): Promise<void> {
  await recordStep(trx, envelope, 'event');
  const op = await trx.selectFrom('operations').select(['command_type', 'status', 'reason']).where('correlation_id', '=', envelope.correlationId).executeTakeFirst();
  // A send that timed out may still have been stored: its real outcome replaces BROKER_UNAVAILABLE.
  if (!op || (op.status !== 'pending' && op.reason !== BROKER_UNAVAILABLE)) return;
  const outcome = OUTCOMES[op.command_type];
  const status = outcome?.completed.includes(envelope.messageType) ? 'completed' : outcome?.failed.includes(envelope.messageType) ? 'failed' : undefined;
  if (!status) return;
  await trx.updateTable('operations').set({ status, reason: status === 'failed' ? (reason ?? null) : null, completed_at: new Date() })
    .where('correlation_id', '=', envelope.correlationId).execute();
}

export interface Step { messageId: string; causationId: string; kind: string; type: string; service: string; occurredAt: string }

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

/** GET /operations/{correlationId}: the caller's own flows (admin: any). */
export function operationRoutes(db: Kysely<Database>): Router {
  const router = Router();
  router.get('/operations/:correlationId', route(async (req, res) => {
    const id = String(req.params.correlationId);
    const op = await db.selectFrom('operations').selectAll().where('correlation_id', '=', id).executeTakeFirst();
    if (!op || (!has(req, 'admin') && op.started_by !== req.caller.sub)) throw notFound('operation');
    const steps = await db.selectFrom('operation_steps').selectAll().where('correlation_id', '=', id).execute();
    res.json({
      correlationId: id,
      status: op.status,
      ...(op.reason ? { reason: op.reason } : {}),
      steps: causalOrder(steps.map((s) => ({
        messageId: s.message_id, causationId: s.causation_id, kind: s.kind, type: s.type, service: s.service, occurredAt: s.occurred_at,
      }))),
    });
  }));
  return router;
}

/** How long a flow's timeline can be read back: far longer than any flow takes to settle. */
export const OPERATION_RETENTION_DAYS = 7;

export async function pruneOperations(db: Kysely<Database>): Promise<{ operations: number; operationSteps: number }> {
  const plain = db as unknown as Kysely<unknown>;
  const operationSteps = await deleteInBatches(plain, (limit) => sql`DELETE FROM operation_steps WHERE ctid IN (SELECT ctid FROM operation_steps
    WHERE seen_at < clock_timestamp() - make_interval(days => ${OPERATION_RETENTION_DAYS}) LIMIT ${limit})`);
  const operations = await deleteInBatches(plain, (limit) => sql`DELETE FROM operations WHERE ctid IN (SELECT ctid FROM operations
    WHERE created_at < clock_timestamp() - make_interval(days => ${OPERATION_RETENTION_DAYS}) LIMIT ${limit})`);
  return { operations, operationSteps };
}
