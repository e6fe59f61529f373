/**
 * Operation timelines: every command the BFF publishes and every event it consumes is a step of
 * the flow its correlation id names (operation_steps). Claims (claims.ts) open an operation when a
 * request is accepted; settling (settle.ts) closes it on its command's direct outcome; the timeline
 * (timeline.ts) reads the steps back in causal order.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Envelope } from '@beacon/messaging';
import type { Database } from '../db.js';

export type Executor = Kysely<Database> | Transaction<Database>;

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
