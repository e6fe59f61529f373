/**
 * The idempotent inbox: a message id is claimed per subscription inside the handler's own
 * transaction, so a redelivered or duplicated message is recognised and skipped.
 */
import type { Kysely, Transaction } from 'kysely';
import type { MessagingTables } from './schema.js';

/** True the first time this subscription sees the message; false when it was already processed. */
export async function claim<DB extends MessagingTables>(
  executor: Transaction<DB> | Kysely<DB>,
  subscription: string,
  messageId: string,
  messageType: string,
): Promise<boolean> {
  const trx = executor as unknown as Kysely<MessagingTables>;
  const inserted = await trx
    .insertInto('inbox')
    .values({ subscription, message_id: messageId, message_type: messageType })
    .onConflict((oc) => oc.columns(['subscription', 'message_id']).doNothing())
    .returning('message_id')
    .executeTakeFirst();
  return inserted !== undefined;
}

/** Claims many messages in one statement; returns the ids this subscription had not seen before. */
export async function claimAll<DB extends MessagingTables>(
  executor: Transaction<DB> | Kysely<DB>,
  subscription: string,
  messages: Array<{ messageId: string; messageType: string }>,
): Promise<Set<string>> {
  const trx = executor as unknown as Kysely<MessagingTables>;
  const inserted = await trx
    .insertInto('inbox')
    .values(messages.map((m) => ({ subscription, message_id: m.messageId, message_type: m.messageType })))
    .onConflict((oc) => oc.columns(['subscription', 'message_id']).doNothing())
    .returning('message_id')
    .execute();
  return new Set(inserted.map((row) => row.message_id));
}
