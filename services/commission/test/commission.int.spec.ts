import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import {
  deliver,
  deliverMany,
  freshServiceDatabase,
  recordedEvent,
  USD,
  handlersOf,
  campaignCreated,
} from '@beacon/testing';
import type { TrackingEventRecordedV2 as TrackingEventRecorded, MessageHandlers } from '@beacon/contracts';
import type { Database } from '../src/db.js';
import { migrations } from '../src/migrations.js';
import { commissionService } from '../src/service.js';
import { defined } from '@beacon/domain';

const handlers: MessageHandlers<Database> = handlersOf(commissionService);
const campaignId = randomUUID();
let db: Kysely<Database>;

beforeAll(async () => {
  db = await freshServiceDatabase<Database>('beacon_commission_int_test', migrations);
  await deliver(db, handlers, 'campaign.CampaignCreated', campaignCreated({ campaignId }));
  await deliver(db, handlers, 'campaign.InfluencerAccepted', { campaignId, influencerId: 'inf-1' });
});
afterAll(() => db.destroy());

const conversion = (over: Partial<TrackingEventRecorded> = {}): TrackingEventRecorded =>
  recordedEvent({
    eventId: randomUUID(),
    type: 'conversion',
    campaignId,
    visitorId: 'v',
    occurredAt: '2026-03-01T00:00:00Z',
    value: USD(2500),
    orderId: `o-${randomUUID()}`,
    ...over,
  });

/** A tracking batch recording one event, as tracking emits it. */
const recorded = (e: TrackingEventRecorded, options: { messageId?: string } = {}) =>
  deliver(
    db,
    handlers,
    'tracking.TrackingEventsRecordedV2',
    { recorded: [{ correlationId: 'flow', event: e }], ignored: [] },
    options,
  );

describe('commissions on real PostgreSQL', () => {
  it('makes one commission when the same tracking event arrives twice (redelivered or republished)', async () => {
    const e = conversion();
    const messageId = randomUUID();
    const first = await recorded(e, { messageId });
    await recorded(e, { messageId });
    expect(await recorded(e)).toEqual([]);
    expect(first.map((x) => x.type)).toEqual(['commission.CommissionCalculated']);
    expect((first[0]?.value as { amount: unknown }).amount).toEqual(USD(250));
    expect(
      await db.selectFrom('commissions').select('id').where('source_event_id', '=', e.eventId).execute(),
    ).toHaveLength(1);
  });

  it('reverses a refund that arrives before the budget answered, right after approval', async () => {
    const e = conversion();
    const calc = await recorded(e);
    const commissionId = (defined(calc[0], 'a calculation').value as { commissionId: string }).commissionId;
    await recorded(conversion({ type: 'refund', value: USD(2500), refundedEventId: e.eventId }));
    const approval = await deliver(db, handlers, 'campaign.BudgetReserved', {
      campaignId,
      commissionId,
      requested: USD(250),
      reserved: USD(250),
      spent: USD(250),
      remaining: USD(9750),
      budgetSeq: 1n,
    });
    expect(approval.map((x) => x.type)).toEqual(['commission.CommissionApproved', 'commission.CommissionReversed']);
    expect(
      (await db.selectFrom('commissions').select('status').where('id', '=', commissionId).executeTakeFirstOrThrow())
        .status,
    ).toBe('reversed');
  });
});

describe('a hot campaign: budget answers handled many at once', () => {
  /** Three calculated commissions, the second with a refund that came before the budget answered. */
  async function pending() {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const e = conversion();
      const calc = await recorded(e);
      ids.push((defined(calc[0], 'a calculation').value as { commissionId: string }).commissionId);
      if (i === 1) await recorded(conversion({ type: 'refund', value: USD(2500), refundedEventId: e.eventId }));
    }
    return ids;
  }
  const reserved = (commissionId: string) => ({
    campaignId,
    commissionId,
    requested: USD(250),
    reserved: USD(200),
    spent: USD(200),
    remaining: USD(800),
    budgetSeq: null,
  });
  const statuses = (ids: string[]) =>
    Promise.all(
      ids.map((id) =>
        db
          .selectFrom('commissions')
          .select(['status', 'amount_minor', 'reverse_pending'])
          .where('id', '=', id)
          .executeTakeFirstOrThrow(),
      ),
    );

  it('approve, reverse what was refunded, and ignore a repeat, as one at a time does', async () => {
    const [many, one] = [await pending(), await pending()];
    // The first commission's answer comes twice (a republish under a new message id).
    const order = (ids: string[]) => [ids[0], ids[1], ids[0], ids[2]].map((id) => reserved(defined(id, 'an id')));
    const gotMany = await deliverMany(db, handlers, 'campaign.BudgetReserved', order(many));
    const gotOne = [];
    for (const m of order(one)) gotOne.push(...(await deliver(db, handlers, 'campaign.BudgetReserved', m)));
    const shape = (e: { type: string; value: unknown }, ids: string[]) => [
      e.type,
      ids.indexOf((e.value as { commissionId: string }).commissionId),
      (e.value as { amount?: unknown }).amount,
    ];
    expect(gotMany.map((e) => shape(e, many))).toEqual(gotOne.map((e) => shape(e, one)));
    expect(gotMany.map((e) => e.type)).toEqual([
      'commission.CommissionApproved',
      'commission.CommissionApproved',
      'commission.CommissionReversed',
      'commission.CommissionApproved',
    ]);
    expect(await statuses(many)).toEqual(await statuses(one));
  });
});
