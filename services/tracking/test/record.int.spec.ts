import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { deliver, freshServiceDatabase } from '@beacon/testing';
import type { HandlerMap } from '@beacon/messaging';
import type { RecordTrackingEvent } from '@beacon/contracts';
import type { Database } from '../src/db.js';
import { migrations } from '../src/migrations.js';
import { recomputeWindow, trackingService } from '../src/service.js';

let db: Kysely<Database>;
let handlers: HandlerMap<Database>;
const campaignId = randomUUID();

beforeAll(async () => {
  db = await freshServiceDatabase<Database>('beacon_tracking_int_test', migrations);
  handlers = Object.assign({}, ...trackingService.subscriptions({} as never).map((s) => s.handlers));
  await deliver(db, handlers, 'campaign.CampaignCreated', {
    campaignId, brandId: 'b-1', name: 'n', landingUrl: 'https://x.example', budget: { amountMinor: 10000n, currency: 'USD' }, commissionRules: [],
    visibility: 'open', attributionWindowDays: 30, holdingPeriodDays: 0, invitedInfluencerIds: [], status: 'active',
  });
});
afterAll(() => db.destroy());

const event = (over: Partial<RecordTrackingEvent>): RecordTrackingEvent => ({
  eventId: randomUUID(), clientEventId: true, type: 'impression', campaignId, influencerId: null, clickId: null, visitorId: 'v-1', userId: null,
  occurredAt: '2026-03-01T10:00:00.000Z', value: null, orderId: null, name: null, properties: '{}', userAgent: null, ip: null, referrer: null,
  receivedAt: '2026-03-01T10:00:01.000Z', writerBrandId: null, ...over,
});
const recorded = (emitted: Array<{ type: string; value: unknown }>) => emitted.find((e) => e.type === 'tracking.TrackingEventRecorded')?.value as Record<string, unknown>;

describe('recording tracking events on real PostgreSQL', () => {
  it('stores a repeated eventId once and answers TrackingEventIgnored', async () => {
    const e = event({});
    await deliver(db, handlers, 'tracking.RecordTrackingEvent', e);
    const again = await deliver(db, handlers, 'tracking.RecordTrackingEvent', e);
    expect(again.map((x) => x.type)).toEqual(['tracking.TrackingEventIgnored']);
    expect(await db.selectFrom('tracking_events').select('event_id').where('event_id', '=', e.eventId).execute()).toHaveLength(1);
  });

  it('flags a second conversion of the same order as duplicate and attributes by last click within the window only', async () => {
    await deliver(db, handlers, 'tracking.RecordTrackingEvent', event({ type: 'click', influencerId: 'inf-old', visitorId: 'v-9', occurredAt: '2026-01-01T09:00:00.000Z' }));
    await deliver(db, handlers, 'tracking.RecordTrackingEvent', event({ type: 'click', influencerId: 'inf-7', visitorId: 'v-7', occurredAt: '2026-02-20T09:00:00.000Z' }));
    const value = { amountMinor: 5000n, currency: 'USD' };
    const first = recorded(await deliver(db, handlers, 'tracking.RecordTrackingEvent', event({ type: 'conversion', visitorId: 'v-7', value, orderId: 'o-7' })));
    const second = recorded(await deliver(db, handlers, 'tracking.RecordTrackingEvent', event({ type: 'conversion', visitorId: 'v-7', value, orderId: 'o-7' })));
    const stale = recorded(await deliver(db, handlers, 'tracking.RecordTrackingEvent', event({ type: 'conversion', visitorId: 'v-9', value, orderId: 'o-9' })));
    expect(first).toMatchObject({ valid: true, duplicate: false, influencerId: 'inf-7', attribution: 'last_click' });
    expect(second).toMatchObject({ valid: true, duplicate: true });
    expect(stale).toMatchObject({ influencerId: null, attribution: 'none' }); // the click was 59 days earlier, the window 30
  });

  it("stores an owner's invalid event with its reasons and counts it as invalid in the campaign's rollups", async () => {
    const e = recorded(await deliver(db, handlers, 'tracking.RecordTrackingEvent', event({ type: 'custom', name: 'odd', properties: '"x"' })));
    expect(e).toMatchObject({ valid: false, reasons: ['MALFORMED_PROPERTIES'], brandId: 'b-1' });
    const rollup = await db.selectFrom('rollups').selectAll().where('campaign_id', '=', campaignId).where('name', '=', 'custom:odd').executeTakeFirstOrThrow();
    expect(rollup).toMatchObject({ count: 1n, valid: 0n, invalid: 1n });
  });

  it('stores an event for an unknown campaign for its sender only and counts it nowhere', async () => {
    const e = recorded(await deliver(db, handlers, 'tracking.RecordTrackingEvent', event({ campaignId: 'no-such-campaign', writerBrandId: 'b-9' })));
    expect(e).toMatchObject({ valid: false, reasons: ['UNKNOWN_CAMPAIGN'], brandId: 'b-9' });
    expect(await db.selectFrom('rollups').selectAll().where('campaign_id', '=', 'no-such-campaign').execute()).toEqual([]);
  });

  it("keeps another brand's conversion invalid (NOT_OWNER), and its event id does not swallow the owner's", async () => {
    const shared = `order-${randomUUID()}`;
    const value = { amountMinor: 9900n, currency: 'USD' };
    const intruder = recorded(await deliver(db, handlers, 'tracking.RecordTrackingEvent', event({ eventId: shared, type: 'conversion', value, orderId: shared, influencerId: 'inf-x', writerBrandId: 'b-2' })));
    const owner = recorded(await deliver(db, handlers, 'tracking.RecordTrackingEvent', event({ eventId: shared, type: 'conversion', value, orderId: shared, influencerId: 'inf-1', writerBrandId: 'b-1' })));
    expect(intruder).toMatchObject({ valid: false, reasons: ['NOT_OWNER'], brandId: 'b-2' });
    expect(owner).toMatchObject({ valid: true, duplicate: false, brandId: 'b-1' });
    expect(await db.selectFrom('tracking_events').select('tenant').where('event_id', '=', shared).orderBy('tenant').execute()).toEqual([{ tenant: 'b-1' }, { tenant: 'b-2' }]);
  });

  it("ignores a click id from another campaign when attributing a conversion", async () => {
    const other = randomUUID();
    await deliver(db, handlers, 'campaign.CampaignCreated', {
      campaignId: other, brandId: 'b-2', name: 'n', landingUrl: 'https://y.example', budget: { amountMinor: 10000n, currency: 'USD' }, commissionRules: [],
      visibility: 'open', attributionWindowDays: 30, holdingPeriodDays: 0, invitedInfluencerIds: [], status: 'active',
    });
    const clickId = `click-${randomUUID()}`;
    await deliver(db, handlers, 'tracking.RecordTrackingEvent', event({ campaignId: other, type: 'click', clickId, influencerId: 'inf-of-b2', writerBrandId: 'b-2', visitorId: 'v-other' }));
    const conversion = recorded(await deliver(db, handlers, 'tracking.RecordTrackingEvent', event({ type: 'conversion', clickId, value: { amountMinor: 100n, currency: 'USD' }, orderId: `o-${randomUUID()}`, visitorId: 'v-mine' })));
    expect(conversion).toMatchObject({ valid: true, influencerId: null, attribution: 'none' });
  });

  it('accepts one refund per order; a second is stored invalid ALREADY_REFUNDED', async () => {
    const orderId = `o-${randomUUID()}`;
    await deliver(db, handlers, 'tracking.RecordTrackingEvent', event({ type: 'conversion', value: { amountMinor: 5000n, currency: 'USD' }, orderId, influencerId: 'inf-1' }));
    const first = recorded(await deliver(db, handlers, 'tracking.RecordTrackingEvent', event({ type: 'refund', orderId })));
    const second = recorded(await deliver(db, handlers, 'tracking.RecordTrackingEvent', event({ type: 'refund', orderId })));
    expect(first).toMatchObject({ valid: true, value: { amountMinor: 5000n, currency: 'USD' } });
    expect(second).toMatchObject({ valid: false, reasons: ['ALREADY_REFUNDED'] });
  });

  it('stores text and times the database cannot take as invalid events instead of failing', async () => {
    const nul = recorded(await deliver(db, handlers, 'tracking.RecordTrackingEvent', event({ visitorId: 'v\u0000nul', properties: '{"k":"\\u0000"}' })));
    const far = recorded(await deliver(db, handlers, 'tracking.RecordTrackingEvent', event({ occurredAt: '+275760-09-13T00:00:00.000Z' })));
    expect(nul).toMatchObject({ valid: false, reasons: ['MALFORMED_PROPERTIES', 'INVALID_TEXT'], visitorId: 'vnul' });
    expect(far).toMatchObject({ valid: false, reasons: ['OCCURRED_AT_OUT_OF_WINDOW'] });
  });

  it('recomputes an activity window to the same row the increments built', async () => {
    const subject = `v-${randomUUID()}`;
    for (const [type, at] of [['impression', '2026-03-02T00:10:00.000Z'], ['click', '2026-03-02T03:59:59.000Z'], ['impression', '2026-03-02T04:00:00.000Z']] as const) {
      await deliver(db, handlers, 'tracking.RecordTrackingEvent', event({ type, visitorId: subject, occurredAt: at, receivedAt: at }));
    }
    const before = await db.selectFrom('activity_windows').selectAll().where('subject', '=', subject).orderBy('window_start').execute();
    expect(before.map((w) => [w.window_start, w.events, w.by_type])).toEqual([
      ['2026-03-02T00:00:00.000Z', 2, { click: 1, impression: 1 }],
      ['2026-03-02T04:00:00.000Z', 1, { impression: 1 }],
    ]);
    await db.transaction().execute((trx) => recomputeWindow(trx, 'b-1', subject, { start: '2026-03-02T00:00:00.000Z', end: '2026-03-02T04:00:00.000Z' }));
    expect(await db.selectFrom('activity_windows').selectAll().where('subject', '=', subject).orderBy('window_start').execute()).toEqual(before);
  });
});
