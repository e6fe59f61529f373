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
    campaignId, brandId: 'b-1', name: 'n', landingUrl: 'https://x.example', budget: { amountMinor: 10000, currency: 'USD' }, commissionRules: [],
    visibility: 'open', attributionWindowDays: 30, holdingPeriodDays: 0, invitedInfluencerIds: [], status: 'active',
  });
});
afterAll(() => db.destroy());

const event = (over: Partial<RecordTrackingEvent>): RecordTrackingEvent => ({
  eventId: randomUUID(), clientEventId: true, type: 'impression', campaignId, influencerId: null, clickId: null, visitorId: 'v-1', userId: null,
  occurredAt: '2026-03-01T10:00:00.000Z', value: null, orderId: null, name: null, properties: '{}', userAgent: null, ip: null, referrer: null,
  receivedAt: '2026-03-01T10:00:01.000Z', ...over,
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
    const value = { amountMinor: 5000, currency: 'USD' };
    const first = recorded(await deliver(db, handlers, 'tracking.RecordTrackingEvent', event({ type: 'conversion', visitorId: 'v-7', value, orderId: 'o-7' })));
    const second = recorded(await deliver(db, handlers, 'tracking.RecordTrackingEvent', event({ type: 'conversion', visitorId: 'v-7', value, orderId: 'o-7' })));
    const stale = recorded(await deliver(db, handlers, 'tracking.RecordTrackingEvent', event({ type: 'conversion', visitorId: 'v-9', value, orderId: 'o-9' })));
    expect(first).toMatchObject({ valid: true, duplicate: false, influencerId: 'inf-7', attribution: 'last_click' });
    expect(second).toMatchObject({ valid: true, duplicate: true });
    expect(stale).toMatchObject({ influencerId: null, attribution: 'none' }); // the click was 59 days earlier, the window 30
  });

  it('stores an invalid event with its reasons and counts it in the rollups', async () => {
    const e = recorded(await deliver(db, handlers, 'tracking.RecordTrackingEvent', event({ campaignId: 'no-such-campaign', properties: '"x"' })));
    expect(e).toMatchObject({ valid: false, reasons: ['UNKNOWN_CAMPAIGN', 'MALFORMED_PROPERTIES'] });
    const rollup = await db.selectFrom('rollups').selectAll().where('campaign_id', '=', 'no-such-campaign').executeTakeFirstOrThrow();
    expect(rollup).toMatchObject({ count: 1, valid: 0, invalid: 1 });
  });

  it('recomputes an activity window to the same row the increments built', async () => {
    const subject = `v-${randomUUID()}`;
    for (const [type, at] of [['impression', '2026-03-02T00:10:00.000Z'], ['click', '2026-03-02T03:59:59.000Z'], ['impression', '2026-03-02T04:00:00.000Z']] as const) {
      await deliver(db, handlers, 'tracking.RecordTrackingEvent', event({ type, visitorId: subject, occurredAt: at }));
    }
    const before = await db.selectFrom('activity_windows').selectAll().where('subject', '=', subject).orderBy('window_start').execute();
    expect(before.map((w) => [w.window_start, w.events, w.by_type])).toEqual([
      ['2026-03-02T00:00:00.000Z', 2, { click: 1, impression: 1 }],
      ['2026-03-02T04:00:00.000Z', 1, { impression: 1 }],
    ]);
    await db.transaction().execute((trx) => recomputeWindow(trx, subject, { start: '2026-03-02T00:00:00.000Z', end: '2026-03-02T04:00:00.000Z' }));
    expect(await db.selectFrom('activity_windows').selectAll().where('subject', '=', subject).orderBy('window_start').execute()).toEqual(before);
  });
});
