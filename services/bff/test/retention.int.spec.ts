/** The BFF's bounded tables on real PostgreSQL: idempotency keys after 24 h, operation timelines after 7 days. */
import { sql, type Kysely } from 'kysely';
import { freshServiceDatabase } from '@beacon/testing';
import type { Database } from '../src/db.js';
import { pruneIdempotencyKeys } from '../src/http/idempotency.js';
import { migrations } from '../src/migrations.js';
import { pruneOperations } from '../src/operations/prune.js';

let db: Kysely<Database>;
beforeAll(async () => {
  db = await freshServiceDatabase<Database>('beacon_bff_retention_test', migrations);
});
afterAll(() => db.destroy());

it('forgets idempotency keys after their 24 h and operations after 7 days, and keeps the recent ones', async () => {
  for (const [key, hours] of [
    ['old', 26],
    ['recent', 2],
  ] as const) {
    await sql`INSERT INTO idempotency_keys (caller, key, request_hash, state, status, body, created_at)
      VALUES ('c', ${key}, 'h', 'done', 202, '{}', now() - make_interval(hours => ${hours}))`.execute(db);
  }
  for (const [id, days] of [
    ['old-flow', 8],
    ['recent-flow', 1],
  ] as const) {
    await sql`INSERT INTO operations (correlation_id, started_by, command_type, status, created_at) VALUES (${id},
      'c', 't', 'completed', now() - make_interval(days => ${days}))`.execute(db);
    await sql`INSERT INTO operation_steps (message_id, correlation_id, causation_id, kind, type, service, occurred_at, seen_at)
      VALUES (${`${id}-m`}, ${id}, '', 'command', 't', 'bff', '', now() - make_interval(days => ${days}))`.execute(db);
    await sql`INSERT INTO rm_ignored_events (correlation_id, campaign_id, event_id, reason, command_message_id,
      recorded_message_id, recorded_at, seen_at)
      VALUES (${id}, 'c-1', ${`${id}-e`}, 'DUPLICATE_EVENT_ID', 'm1', 'm2', '', now() - make_interval(days => ${days}))`.execute(
      db,
    );
  }
  expect(await pruneIdempotencyKeys(db)).toBe(1);
  expect(await pruneOperations(db)).toEqual({ operations: 1, operationSteps: 1, ignoredEvents: 1 });
  expect((await db.selectFrom('idempotency_keys').select('key').execute()).map((r) => r.key)).toEqual(['recent']);
  expect((await db.selectFrom('operations').select('correlation_id').execute()).map((r) => r.correlation_id)).toEqual([
    'recent-flow',
  ]);
});
