/** Bounded tables on real PostgreSQL: pruning removes only what is past its retention. */
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { freshServiceDatabase } from '@beacon/testing';
import { messagingMigration, messagingRetentionMigration, pruneMessaging, type MessagingTables } from '../src/index.js';

let db: Kysely<MessagingTables>;

beforeAll(async () => {
  db = await freshServiceDatabase<MessagingTables>('beacon_retention_test', {
    '000_messaging': messagingMigration,
    '010_messaging_retention': messagingRetentionMigration,
  });
});
afterAll(() => db.destroy());

async function outboxRow(ageHours: number, published: boolean): Promise<string> {
  const messageId = randomUUID();
  await sql`INSERT INTO outbox (message_id, topic, key, payload, properties, created_at, published_at)
    VALUES (${messageId}, 't', 'k', '\\x00', '{}', now() - make_interval(hours => ${ageHours}),
            ${published ? sql`now() - make_interval(hours => ${ageHours})` : sql`NULL`})`.execute(db);
  return messageId;
}

async function inboxRow(ageDays: number): Promise<string> {
  const messageId = randomUUID();
  await sql`INSERT INTO inbox (subscription, message_id, message_type, processed_at) VALUES ('s', ${messageId}, 't',
    now() - make_interval(days => ${ageDays}))`.execute(db);
  return messageId;
}

it('drops published outbox rows after 24 h and inbox claims after 7 days, and keeps every unpublished row however old', async () => {
  const oldPublished = await outboxRow(25, true);
  const freshPublished = await outboxRow(23, true);
  const oldUnpublished = await outboxRow(24 * 30, false);
  const oldClaim = await inboxRow(8);
  const freshClaim = await inboxRow(6);

  const pruned = await pruneMessaging(db);

  const outbox = (await db.selectFrom('outbox').select('message_id').execute()).map((r) => r.message_id);
  const inbox = (await db.selectFrom('inbox').select('message_id').execute()).map((r) => r.message_id);
  expect(pruned).toEqual({ outbox: 1, inbox: 1 });
  expect(outbox.sort()).toEqual([freshPublished, oldUnpublished].sort());
  expect(outbox).not.toContain(oldPublished);
  expect(inbox).toEqual([freshClaim]);
  expect(inbox).not.toContain(oldClaim);
});
