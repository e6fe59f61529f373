import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import {
  deliver,
  deciderSpec,
  freshServiceDatabase,
  handlersOf,
  campaignCreated,
  recordCommand,
} from '@beacon/testing';
import type { RecordTrackingEventV2 as RecordTrackingEvent, MessageHandlers } from '@beacon/contracts';
import type { Database } from '../src/db.js';
import { migrations } from '../src/migrations.js';
import { trackingService } from '../src/service.js';
import { batchStore } from '../src/store.js';
import { trackingDecider, type BatchItem } from '../src/tracking.js';
import { defined } from '@beacon/domain';

const handlers: MessageHandlers<Database> = handlersOf(trackingService);
const campaignId = randomUUID();
let db: Kysely<Database>;

beforeAll(async () => {
  db = await freshServiceDatabase<Database>('beacon_tracking_int_test', migrations);
  await createCampaign(campaignId, 'b-1');
});
afterAll(() => db.destroy());

/** A campaign tracking knows of, owned by `brandId`. */
const createCampaign = (id: string, brandId: string) =>
  deliver(db, handlers, 'campaign.CampaignCreated', campaignCreated({ campaignId: id, brandId, commissionRules: [] }));

const event = (over: Partial<RecordTrackingEvent>): RecordTrackingEvent =>
  recordCommand({ eventId: randomUUID(), campaignId, ...over });
type Batch = {
  recorded: Array<{ correlationId: string; event: Record<string, unknown> }>;
  ignored: Array<{ correlationId: string; event: Record<string, unknown> }>;
};
const batchOf = (emitted: Array<{ type: string; value: unknown }>) => {
  expect(emitted.map((e) => e.type)).toEqual(['tracking.TrackingEventsRecordedV2']);
  return defined(emitted[0], 'the emitted batch').value as Batch;
};
/** Delivers one command batch holding the events (each in its own flow) and returns what it recorded and ignored. */
const send = async (...events: RecordTrackingEvent[]) =>
  batchOf(
    await deliver(db, handlers, 'tracking.RecordTrackingEventsV2', {
      items: events.map((event, i) => ({ correlationId: `flow-${i}`, event })),
    }),
  );
/** One event, alone in its batch: what was recorded for it. */
const record = async (e: RecordTrackingEvent) => (await send(e)).recorded[0]?.event;

describe('recording tracking events on real PostgreSQL', () => {
  it('stores a repeated eventId once, repeated in a later batch or in the same one, and reports it ignored in its flow', async () => {
    const e = event({});
    await send(e);
    const again = await send(e);
    expect(again.recorded).toEqual([]);
    expect(again.ignored).toEqual([
      { correlationId: 'flow-0', event: { eventId: e.eventId, campaignId, reason: 'DUPLICATE_EVENT_ID' } },
    ]);
    const twice = event({});
    const same = await send(twice, event({}), twice);
    expect(same.recorded.map((r) => r.correlationId)).toEqual(['flow-0', 'flow-1']);
    expect(same.ignored.map((r) => r.correlationId)).toEqual(['flow-2']);
    expect(
      await db
        .selectFrom('tracking_events')
        .select('event_id')
        .where('event_id', 'in', [e.eventId, twice.eventId])
        .execute(),
    ).toHaveLength(2);
  });

  it('within one batch, a click attributes the conversion after it and an order converted then refunded nets out', async () => {
    const visitorId = `v-${randomUUID()}`;
    const orderId = `o-${randomUUID()}`;
    const value = { amountMinor: 4000n, currency: 'USD' };
    const batch = await send(
      event({ type: 'click', influencerId: 'inf-b', visitorId, occurredAt: '2026-03-01T09:00:00.000Z' }),
      event({ type: 'conversion', visitorId, value, orderId, occurredAt: '2026-03-01T09:30:00.000Z' }),
      event({ type: 'conversion', visitorId, value, orderId, occurredAt: '2026-03-01T09:31:00.000Z' }),
      event({ type: 'refund', orderId }),
      event({ type: 'refund', orderId }),
    );
    expect(batch.recorded.map((r) => r.event)).toMatchObject([
      { type: 'click', valid: true },
      { type: 'conversion', valid: true, duplicate: false, influencerId: 'inf-b', attribution: 'last_click' },
      { type: 'conversion', valid: true, duplicate: true },
      { type: 'refund', valid: true, influencerId: 'inf-b', value },
      { type: 'refund', valid: false, reasons: ['ALREADY_REFUNDED'] },
    ]);
    const stored = await db
      .selectFrom('tracking_events')
      .select(['type', 'valid', 'duplicate', 'value_minor'])
      .where('order_id', '=', orderId)
      .orderBy('received_at')
      .execute();
    expect(stored).toHaveLength(4);
  });

  it('flags a second conversion of the same order as duplicate and attributes by last click within the window only', async () => {
    await send(
      event({ type: 'click', influencerId: 'inf-old', visitorId: 'v-9', occurredAt: '2026-01-01T09:00:00.000Z' }),
    );
    await send(
      event({ type: 'click', influencerId: 'inf-7', visitorId: 'v-7', occurredAt: '2026-02-20T09:00:00.000Z' }),
    );
    const value = { amountMinor: 5000n, currency: 'USD' };
    const first = await record(event({ type: 'conversion', visitorId: 'v-7', value, orderId: 'o-7' }));
    const second = await record(event({ type: 'conversion', visitorId: 'v-7', value, orderId: 'o-7' }));
    const stale = await record(event({ type: 'conversion', visitorId: 'v-9', value, orderId: 'o-9' }));
    expect(first).toMatchObject({ valid: true, duplicate: false, influencerId: 'inf-7', attribution: 'last_click' });
    expect(second).toMatchObject({ valid: true, duplicate: true });
    expect(stale).toMatchObject({ influencerId: null, attribution: 'none' }); // the click was 59 days earlier, the window 30
  });

  it("stores an owner's invalid event with its reasons", async () => {
    const e = await record(event({ type: 'custom', name: 'odd', properties: '"x"' }));
    expect(e).toMatchObject({ valid: false, reasons: ['MALFORMED_PROPERTIES'], brandId: 'b-1' });
    const row = await db
      .selectFrom('tracking_events')
      .select(['valid', 'reasons', 'properties'])
      .where('event_id', '=', defined(e, 'the event').eventId as string)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ valid: false, reasons: ['MALFORMED_PROPERTIES'], properties: null });
  });

  it('stores an event for an unknown campaign for its sender only', async () => {
    const e = await record(event({ campaignId: 'no-such-campaign', writerBrandId: 'b-9' }));
    expect(e).toMatchObject({ valid: false, reasons: ['UNKNOWN_CAMPAIGN'], brandId: 'b-9' });
    expect(
      await db.selectFrom('tracking_events').select('tenant').where('campaign_id', '=', 'no-such-campaign').execute(),
    ).toEqual([{ tenant: 'b-9' }]);
  });

  it("keeps another brand's conversion invalid (NOT_OWNER), and its event id does not swallow the owner's", async () => {
    const shared = `order-${randomUUID()}`;
    const value = { amountMinor: 9900n, currency: 'USD' };
    const intruder = await record(
      event({
        eventId: shared,
        type: 'conversion',
        value,
        orderId: shared,
        influencerId: 'inf-x',
        writerBrandId: 'b-2',
      }),
    );
    const owner = await record(
      event({
        eventId: shared,
        type: 'conversion',
        value,
        orderId: shared,
        influencerId: 'inf-1',
        writerBrandId: 'b-1',
      }),
    );
    expect(intruder).toMatchObject({ valid: false, reasons: ['NOT_OWNER'], brandId: 'b-2' });
    expect(owner).toMatchObject({ valid: true, duplicate: false, brandId: 'b-1' });
    expect(
      await db
        .selectFrom('tracking_events')
        .select('tenant')
        .where('event_id', '=', shared)
        .orderBy('tenant')
        .execute(),
    ).toEqual([{ tenant: 'b-1' }, { tenant: 'b-2' }]);
  });

  it('ignores a click id from another campaign when attributing a conversion', async () => {
    const other = randomUUID();
    await createCampaign(other, 'b-2');
    const clickId = `click-${randomUUID()}`;
    await send(
      event({
        campaignId: other,
        type: 'click',
        clickId,
        influencerId: 'inf-of-b2',
        writerBrandId: 'b-2',
        visitorId: 'v-other',
      }),
    );
    const conversion = await record(
      event({
        type: 'conversion',
        clickId,
        value: { amountMinor: 100n, currency: 'USD' },
        orderId: `o-${randomUUID()}`,
        visitorId: 'v-mine',
      }),
    );
    expect(conversion).toMatchObject({ valid: true, influencerId: null, attribution: 'none' });
  });

  it('accepts one refund per order; a second is stored invalid ALREADY_REFUNDED', async () => {
    const orderId = `o-${randomUUID()}`;
    await send(
      event({ type: 'conversion', value: { amountMinor: 5000n, currency: 'USD' }, orderId, influencerId: 'inf-1' }),
    );
    const first = await record(event({ type: 'refund', orderId }));
    const second = await record(event({ type: 'refund', orderId }));
    expect(first).toMatchObject({ valid: true, value: { amountMinor: 5000n, currency: 'USD' } });
    expect(second).toMatchObject({ valid: false, reasons: ['ALREADY_REFUNDED'] });
  });

  it('stores text and times the database cannot take as invalid events instead of failing', async () => {
    const nul = await record(event({ visitorId: 'v\u0000nul', properties: '{"k":"\\u0000"}' }));
    const far = await record(event({ occurredAt: '+275760-09-13T00:00:00.000Z' }));
    expect(nul).toMatchObject({ valid: false, reasons: ['MALFORMED_PROPERTIES', 'INVALID_TEXT'], visitorId: 'vnul' });
    expect(far).toMatchObject({ valid: false, reasons: ['OCCURRED_AT_OUT_OF_WINDOW'] });
  });
});

describe("a batch's store: the facts it loads in a few statements, checked through the decider", () => {
  const spec = deciderSpec(trackingDecider(() => randomUUID()));
  const loaded = (batch: BatchItem[]) => db.transaction().execute((trx) => batchStore(batch).load(trx));
  const item = (e: RecordTrackingEvent): BatchItem => ({ correlationId: 'flow-s', event: e, reasons: [] });

  it('finds the stored click of a visitor, the order it converted and refunded, and a click by its id', async () => {
    const visitorId = `v-${randomUUID()}`;
    const orderId = `o-${randomUUID()}`;
    const clickId = `k-${randomUUID()}`;
    const value = { amountMinor: 2500n, currency: 'USD' };
    await send(
      event({ type: 'click', influencerId: 'inf-s', visitorId, clickId, occurredAt: '2026-03-01T09:00:00.000Z' }),
    );
    await send(event({ type: 'conversion', orderId, visitorId, value, occurredAt: '2026-03-01T09:05:00.000Z' }));
    await send(event({ type: 'refund', orderId, value: null, visitorId, occurredAt: '2026-03-01T09:06:00.000Z' }));
    const later = event({
      type: 'conversion',
      orderId: `o-${randomUUID()}`,
      visitorId,
      value,
      occurredAt: '2026-03-01T09:30:00.000Z',
    });
    const byClick = event({ type: 'conversion', orderId: `o-${randomUUID()}`, visitorId: 'nobody', clickId, value });
    const again = event({ type: 'refund', orderId, value: null, visitorId });
    await spec
      .givenFacts(loaded)
      .when([item(later), item(byClick), item(again)])
      .thenDecision((events, state) => {
        expect(state.facts.earlierClicks.get(0)).toEqual({
          influencerId: 'inf-s',
          occurredAt: '2026-03-01T09:00:00.000Z',
        });
        expect(state.facts.conversions.get([campaignId, orderId])).toMatchObject({ influencerId: 'inf-s' });
        expect(state.facts.refunded.has([campaignId, orderId])).toBe(true);
        expect(
          events[0]?.data.recorded.map((r) => [r.event.influencerId, r.event.attribution, r.event.reasons]),
        ).toEqual([
          ['inf-s', 'last_click', []],
          ['inf-s', 'click_id', []],
          ['inf-s', 'explicit', ['ALREADY_REFUNDED']],
        ]);
      });
  });

  it("looks nothing up for another brand's write: its facts stay empty", async () => {
    const orderId = `o-${randomUUID()}`;
    await send(event({ type: 'conversion', orderId, value: { amountMinor: 100n, currency: 'USD' } }));
    const intruder = item(event({ type: 'refund', orderId, value: null, writerBrandId: 'b-other' }));
    const facts = await loaded([intruder]);
    expect(facts.facts.conversions.size).toBe(0);
    await spec
      .givenFacts(loaded)
      .when([intruder])
      .thenDecision((events) => expect(events[0]?.data.recorded[0]?.event).toMatchObject({ valid: false }));
  });
});
