/**
 * Operation timelines: every command the BFF publishes and every event it consumes is a step of
 * the flow its correlation id names. An operation's status is the direct outcome of its command.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Envelope } from '@beacon/messaging';
import type { Database } from './db.js';

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

export async function startOperation(db: Executor, envelope: Envelope, startedBy: string): Promise<void> {
  await db.insertInto('operations').values({ correlation_id: envelope.correlationId, started_by: startedBy, command_type: envelope.messageType, status: 'pending', reason: null, completed_at: null })
    .onConflict((oc) => oc.column('correlation_id').doNothing()).execute();
  await recordStep(db, envelope, 'command');
}

/** Called for every consumed event: adds the step and settles the operation on its direct outcome. */
export async function observeEvent(trx: Transaction<Database>, envelope: Envelope, reason?: string): Promise<void> {
  await recordStep(trx, envelope, 'event');
  const op = await trx.selectFrom('operations').select(['command_type', 'status']).where('correlation_id', '=', envelope.correlationId).executeTakeFirst();
  if (!op || op.status !== 'pending') return;
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
