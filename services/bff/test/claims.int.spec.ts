/** Claiming a flow's operation on real PostgreSQL: the claim answers with the id it took, and changes nothing it was given. */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { freshServiceDatabase } from '@beacon/testing';
import type { Database } from '../src/db.js';
import { migrations } from '../src/migrations.js';
import { claimOperation, claimTrackingOperations, TRACKING_COMMAND } from '../src/operations/claims.js';

let db: Kysely<Database>;
beforeAll(async () => {
  db = await freshServiceDatabase<Database>('beacon_bff_claims_test', migrations);
});
afterAll(() => db.destroy());

const ownerOf = async (id: string) =>
  (await db.selectFrom('operations').select('started_by').where('correlation_id', '=', id).executeTakeFirst())
    ?.started_by;

it("keeps a caller's own id, and gives another caller a fresh one instead of its victim's", async () => {
  const id = randomUUID();
  const mine = Object.freeze({ correlationId: id, startedBy: 'brand:a' });
  expect(await claimOperation(db, mine, 'campaign.CreateCampaign')).toBe(id);
  // A retry of the same caller: the same flow.
  expect(await claimOperation(db, mine, 'campaign.CreateCampaign')).toBe(id);
  const theirs = Object.freeze({ correlationId: id, startedBy: 'brand:b' });
  const other = await claimOperation(db, theirs, 'campaign.CreateCampaign');
  expect(other).not.toBe(id);
  expect(theirs.correlationId).toBe(id);
  expect([await ownerOf(id), await ownerOf(other)]).toEqual(['brand:a', 'brand:b']);
});

it('claims tracking flows in bulk, answering each flow its id in order, and counts what each waits for', async () => {
  const [shared, alone] = [randomUUID(), randomUUID()];
  const flows = [
    { correlationId: shared, startedBy: 'ingest:a', expected: 2 },
    { correlationId: shared, startedBy: 'ingest:b', expected: 1 },
    { correlationId: alone, startedBy: 'ingest:a', expected: 3 },
    { correlationId: shared, startedBy: 'ingest:a', expected: 1 },
  ];
  const given = structuredClone(flows);
  const ids = await claimTrackingOperations(db, flows);
  expect(flows).toEqual(given);
  expect(ids[0]).toBe(shared);
  expect(ids[1]).not.toBe(shared);
  expect(ids.slice(2)).toEqual([alone, shared]);
  const rows = await db
    .selectFrom('operations')
    .select(['correlation_id', 'started_by', 'expected', 'command_type'])
    .where('correlation_id', 'in', ids)
    .execute();
  const byId = new Map(rows.map((r) => [r.correlation_id, r]));
  expect(byId.get(shared)).toMatchObject({ started_by: 'ingest:a', expected: 3, command_type: TRACKING_COMMAND });
  expect(byId.get(ids[1] ?? '')).toMatchObject({ started_by: 'ingest:b', expected: 1 });
  expect(byId.get(alone)).toMatchObject({ started_by: 'ingest:a', expected: 3 });
});
