/** Claiming a flow's operation on real PostgreSQL: the claim answers with the id it took, and changes nothing it was given. */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { codecs } from '@beacon/contracts';
import { createMemoryBus, fromProperties, type MessageBus } from '@beacon/messaging';
import { freshServiceDatabase, recordCommand } from '@beacon/testing';
import type { Database } from '../src/db.js';
import { migrations } from '../src/migrations.js';
import { claimOperation, claimTrackingOperations, TRACKING_COMMAND } from '../src/operations/claims.js';
import { createTrackingBatcher, DEFAULT_BATCH_LIMITS } from '../src/tracking/batches.js';

const registry = codecs();

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

it("claims a single event's flow before its batch reaches the broker, so an outcome coming straight back finds its operation", async () => {
  // The flows whose claim PostgreSQL has answered, as the BFF learns of it (a plugin sees each result).
  const claimed = new Set<string>();
  const watched = db.withPlugin({
    transformQuery: (args) => args.node,
    transformResult: async (args) => {
      for (const row of args.result.rows) if (typeof row.correlation_id === 'string') claimed.add(row.correlation_id);
      return args.result;
    },
  });
  // At the moment of each publish: the batch's flows, and those of them not claimed yet.
  const seen: Array<{ flows: string[]; unclaimed: string[] }> = [];
  const inner = createMemoryBus();
  const bus: MessageBus = {
    ...inner,
    publish: (message) => {
      const { messageType, schemaVersion } = fromProperties(message.properties);
      const { value } = registry.decode<{ items: Array<{ correlationId: string }> }>(
        messageType,
        schemaVersion,
        message.payload,
      );
      const flows = value.items.map((i) => i.correlationId);
      seen.push({ flows, unclaimed: flows.filter((id) => !claimed.has(id)) });
      return inner.publish(message);
    },
  };
  const batcher = createTrackingBatcher({
    bus,
    db: watched,
    codecs: registry,
    limits: { ...DEFAULT_BATCH_LIMITS, lingerMs: 5 },
  });
  const event = (i: number) =>
    recordCommand({
      eventId: `e-${randomUUID()}`,
      campaignId: `c-${i % 2}`,
      visitorId: `v-${i}`,
      writerBrandId: 'b-1',
    });
  // Fifty requests at once, as the trust test sends them, over two shards.
  const ids = await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      batcher.submit({ correlationId: randomUUID(), caller: { sub: 'brand-1', roles: ['brand'] } }, [event(i)], {
        claimed: false,
      }),
    ),
  );
  expect(seen.flatMap((s) => s.flows).sort()).toEqual([...ids].sort());
  expect(seen.flatMap((s) => s.unclaimed)).toEqual([]);
});
