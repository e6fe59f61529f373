/**
 * The BFF's read models as its projections build them from the fleet's events, on real PostgreSQL:
 * what a client then reads (campaigns, commissions, ledger, payouts) and that a redelivery changes nothing.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { CampaignCreated, MessageHandlers } from '@beacon/contracts';
import { deliver, deliverMany, freshServiceDatabase, campaignCreated, recordedEvent } from '@beacon/testing';
import type { Database } from '../src/db.js';
import { migrations } from '../src/migrations.js';
import { projectionHandlers } from '../src/projections.js';
import { EVENT_TOPICS } from '../src/service.js';

const USD = (amountMinor: bigint) => ({ amountMinor, currency: 'USD' });
let db: Kysely<Database>;
const handlers: MessageHandlers<Database> = Object.assign({}, ...EVENT_TOPICS.map((t) => projectionHandlers(t)));

beforeAll(async () => {
  db = await freshServiceDatabase<Database>('beacon_bff_projections_test', migrations);
});
afterAll(() => db.destroy());

async function createdCampaign(brandId = `brand-${randomUUID()}`) {
  const campaignId = randomUUID();
  const terms: Partial<CampaignCreated> = {
    campaignId,
    brandId,
    visibility: 'invite_only',
    invitedInfluencerIds: ['inf-1'],
  };
  await deliver(db, handlers, 'campaign.CampaignCreated', campaignCreated(terms));
  return campaignId;
}

describe('the campaign read model', () => {
  it('shows a created campaign with its invitees, then who accepted and what the budget has spent', async () => {
    const campaignId = await createdCampaign();
    await deliver(db, handlers, 'campaign.InfluencerAccepted', { campaignId, influencerId: 'inf-1' });
    await deliver(db, handlers, 'campaign.BudgetReserved', {
      campaignId,
      commissionId: 'c-1',
      requested: USD(1_500n),
      reserved: USD(1_500n),
      spent: USD(1_500n),
      remaining: USD(8_500n),
      budgetSeq: 1n,
    });
    const campaign = await db.selectFrom('rm_campaigns').selectAll().where('id', '=', campaignId).executeTakeFirst();
    expect(campaign).toMatchObject({ status: 'active', budget_minor: 10_000n, spent_minor: 1_500n });
    const members = await db
      .selectFrom('rm_campaign_influencers')
      .select(['influencer_id', 'status'])
      .where('campaign_id', '=', campaignId)
      .execute();
    expect(members).toEqual([{ influencer_id: 'inf-1', status: 'accepted' }]);
  });
});

/** A new commission of influencer inf-1 for one tracking event of the campaign. */
const commissionOf = (campaignId: string, sourceEventId: string) => ({
  commissionId: randomUUID(),
  campaignId,
  influencerId: 'inf-1',
  sourceEventId,
});

describe('the commission read model', () => {
  it('shows a commission pending while the budget answers, then approved at the reserved amount', async () => {
    const campaignId = await createdCampaign();
    const commission = commissionOf(campaignId, 'e-1');
    await deliver(db, handlers, 'commission.CommissionCalculated', {
      ...commission,
      eventType: 'conversion',
      attribution: null,
      amount: USD(1_000n),
    });
    const status = async () =>
      db
        .selectFrom('rm_commissions')
        .select(['status', 'amount_minor'])
        .where('id', '=', commission.commissionId)
        .executeTakeFirstOrThrow();
    expect(await status()).toEqual({ status: 'pending', amount_minor: 1_000n });
    const approved = { ...commission, requested: USD(1_000n), amount: USD(600n), holdingPeriodDays: 0 };
    await deliver(db, handlers, 'commission.CommissionApproved', approved);
    expect(await status()).toEqual({ status: 'approved', amount_minor: 600n });
  });

  it('counts an approved commission once in the stats, however often its event is delivered', async () => {
    const campaignId = await createdCampaign();
    const approved = {
      ...commissionOf(campaignId, 'e-2'),
      requested: USD(250n),
      amount: USD(250n),
      holdingPeriodDays: 0,
    };
    const messageId = randomUUID();
    await deliver(db, handlers, 'commission.CommissionApproved', approved, { messageId });
    await deliver(db, handlers, 'commission.CommissionApproved', approved, { messageId });
    const stats = await db
      .selectFrom('rm_figures')
      .select((eb) => eb.fn.sum<bigint>('commissions_minor').as('commissions'))
      .where('campaign_id', '=', campaignId)
      .executeTakeFirstOrThrow();
    expect(BigInt(stats.commissions)).toBe(250n);
  });
});

describe('the payout and ledger read models', () => {
  it('shows a payout requested, then completed, and the ledger entries behind the balance', async () => {
    const influencerId = `inf-${randomUUID()}`;
    const payoutId = randomUUID();
    await deliver(db, handlers, 'payment.LedgerEntryRecorded', {
      entryId: randomUUID(),
      influencerId,
      kind: 'commission_credit',
      amount: USD(3_000n),
      reference: 'c-9',
      availableAt: '2026-01-01T00:00:00.000Z',
    });
    await deliver(db, handlers, 'payment.PayoutRequested', {
      payoutId,
      influencerId,
      amount: USD(2_000n),
      method: 'paypal',
      destination: 'me@example.com',
    });
    const payout = () => db.selectFrom('rm_payouts').selectAll().where('id', '=', payoutId).executeTakeFirstOrThrow();
    expect(await payout()).toMatchObject({ status: 'requested', amount_minor: 2_000n, completed_at: null });
    await deliver(db, handlers, 'payment.PayoutCompleted', {
      payoutId,
      influencerId,
      amount: USD(2_000n),
      commissionIds: [],
    });
    expect(await payout()).toMatchObject({ status: 'completed' });
    expect((await payout()).completed_at).toBeInstanceOf(Date);
    const ledger = await db
      .selectFrom('rm_ledger')
      .select('amount_minor')
      .where('influencer_id', '=', influencerId)
      .execute();
    expect(ledger).toEqual([{ amount_minor: 3_000n }]);
  });

  it('shows a payout processing, then failed with its reason; a processing told late does not undo the failure', async () => {
    const payoutId = randomUUID();
    const payout = { payoutId, influencerId: `inf-${randomUUID()}`, amount: USD(500n) };
    await deliver(db, handlers, 'payment.PayoutRequested', {
      ...payout,
      method: 'paypal',
      destination: 'x@example.com',
    });
    const status = async () =>
      db.selectFrom('rm_payouts').select(['status', 'reason']).where('id', '=', payoutId).executeTakeFirstOrThrow();
    await deliver(db, handlers, 'payment.PayoutProcessing', { payoutId, influencerId: payout.influencerId });
    expect(await status()).toEqual({ status: 'processing', reason: null });
    await deliver(db, handlers, 'payment.PayoutFailed', { ...payout, reason: 'PROVIDER_DECLINED' });
    expect(await status()).toEqual({ status: 'failed', reason: 'PROVIDER_DECLINED' });
    await deliver(db, handlers, 'payment.PayoutProcessing', { payoutId, influencerId: payout.influencerId });
    expect(await status()).toEqual({ status: 'failed', reason: 'PROVIDER_DECLINED' });
  });

  it('shows a payout refused at once as rejected, with its reason', async () => {
    const payoutId = randomUUID();
    await deliver(db, handlers, 'payment.PayoutRejected', {
      payoutId,
      influencerId: 'inf-poor',
      amount: USD(99_000n),
      reason: 'INSUFFICIENT_FUNDS',
    });
    const payout = await db.selectFrom('rm_payouts').selectAll().where('id', '=', payoutId).executeTakeFirstOrThrow();
    expect(payout).toMatchObject({ status: 'rejected', reason: 'INSUFFICIENT_FUNDS', amount_minor: 99_000n });
  });
});

describe('a hot key: events projected many at once', () => {
  /** One campaign's commission flow for `n` conversions: calculated, reserved, approved, credited. */
  const flow = (campaignId: string, n: number) => {
    const commissions = Array.from({ length: n }, (_, i) => commissionOf(campaignId, `hot-${i}`));
    return {
      calculated: commissions.map((c) => ({
        ...c,
        eventType: 'conversion' as const,
        amount: USD(1_000n),
        attribution: null,
      })),
      reserved: commissions.map((c, i) => ({
        campaignId,
        commissionId: c.commissionId,
        requested: USD(1_000n),
        reserved: USD(700n),
        spent: USD(700n * BigInt(i + 1)),
        remaining: USD(10_000n - 700n * BigInt(i + 1)),
        budgetSeq: BigInt(i + 1),
      })),
      approved: commissions.map((c) => ({ ...c, requested: USD(1_000n), amount: USD(700n), holdingPeriodDays: 0 })),
      credited: commissions.map((c) => ({
        entryId: randomUUID(),
        influencerId: `inf-${campaignId}`,
        kind: 'commission_credit' as const,
        amount: USD(700n),
        reference: c.commissionId,
        availableAt: new Date().toISOString(),
      })),
    };
  };
  const readModels = async (campaignId: string) => ({
    commissions: (
      await db
        .selectFrom('rm_commissions')
        .select(['status', 'amount_minor', 'source_event_id'])
        .where('campaign_id', '=', campaignId)
        .orderBy('source_event_id')
        .execute()
    ).map((c) => ({ ...c })),
    stats: await db
      .selectFrom('rm_commission_stats')
      .select(['influencer_id', 'commissions_minor'])
      .where('campaign_id', '=', campaignId)
      .execute(),
    spent: (
      await db.selectFrom('rm_campaigns').select('spent_minor').where('id', '=', campaignId).executeTakeFirstOrThrow()
    ).spent_minor,
    ledger: await db
      .selectFrom('rm_ledger')
      .select(['kind', 'amount_minor'])
      .where('influencer_id', '=', `inf-${campaignId}`)
      .execute(),
  });

  it('leave the read models as one at a time does', async () => {
    const [many, one] = [await createdCampaign(), await createdCampaign()];
    const a = flow(many, 5);
    await deliverMany(db, handlers, 'commission.CommissionCalculated', a.calculated);
    await deliverMany(db, handlers, 'campaign.BudgetReserved', a.reserved);
    await deliverMany(db, handlers, 'commission.CommissionApproved', a.approved);
    await deliverMany(db, handlers, 'payment.LedgerEntryRecorded', a.credited);
    const b = flow(one, 5);
    for (const m of b.calculated) await deliver(db, handlers, 'commission.CommissionCalculated', m);
    for (const m of b.reserved) await deliver(db, handlers, 'campaign.BudgetReserved', m);
    for (const m of b.approved) await deliver(db, handlers, 'commission.CommissionApproved', m);
    for (const m of b.credited) await deliver(db, handlers, 'payment.LedgerEntryRecorded', m);
    const [got, expected] = [await readModels(many), await readModels(one)];
    expect(got).toEqual(expected);
    expect(got.spent).toBe(3_500n);
    expect(got.stats).toEqual([{ influencer_id: 'inf-1', commissions_minor: 3500n }]);
    expect(got.commissions.every((c) => c.status === 'approved' && c.amount_minor === 700n)).toBe(true);
    expect(got.ledger).toHaveLength(5);
  });

  it('settle each pending operation once, by the first event of the batch that settles it', async () => {
    const [first, second] = [randomUUID(), randomUUID()];
    for (const correlationId of [first, second])
      await db
        .insertInto('operations')
        .values({
          correlation_id: correlationId,
          started_by: 'influencer:x',
          command_type: 'payment.RequestPayout',
          status: 'pending',
        })
        .execute();
    const failed = (reason: string) => ({ payoutId: randomUUID(), influencerId: 'x', amount: USD(500n), reason });
    await deliverMany(db, handlers, 'payment.PayoutFailed', [failed('FIRST'), failed('OTHER'), failed('LATER')], {
      correlationIds: [first, second, first],
    });
    const ops = await db
      .selectFrom('operations')
      .select(['correlation_id', 'status', 'reason'])
      .where('correlation_id', 'in', [first, second])
      .execute();
    expect(Object.fromEntries(ops.map((o) => [o.correlation_id, [o.status, o.reason]]))).toEqual({
      [first]: ['failed', 'FIRST'],
      [second]: ['failed', 'OTHER'],
    });
    const steps = await db.selectFrom('operation_steps').select('type').where('correlation_id', '=', first).execute();
    expect(steps).toHaveLength(2);
  });
});

describe('the tracking read model', () => {
  it("counts revenue in the currency tracking recorded with the event, even before the campaign's own row is projected", async () => {
    // No CampaignCreated of either campaign has reached the BFF yet.
    const [named, legacy] = [randomUUID(), randomUUID()];
    const conversion = (campaignId: string, currency: string, campaignCurrency: string | null) =>
      recordedEvent({
        eventId: randomUUID(),
        campaignId,
        type: 'conversion',
        orderId: `o-${randomUUID()}`,
        occurredAt: '2026-12-01T10:00:00.000Z',
        value: { amountMinor: 5_000n, currency },
        campaignCurrency,
      });
    await deliver(db, handlers, 'tracking.TrackingEventsRecordedV2', {
      recorded: [
        conversion(named, 'USD', 'USD'),
        conversion(named, 'EUR', 'USD'),
        // written before tracking named the currency, with no campaign row to fall back on: no revenue
        conversion(legacy, 'USD', null),
      ].map((event) => ({ correlationId: randomUUID(), event })),
      ignored: [],
    });
    const figures = async (table: 'rm_stats' | 'rm_campaign_windows', campaignId: string) =>
      db
        .selectFrom(table)
        .select(['conversions', 'revenue_minor'])
        .where('campaign_id', '=', campaignId)
        .executeTakeFirstOrThrow();
    for (const table of ['rm_stats', 'rm_campaign_windows'] as const) {
      expect(await figures(table, named)).toEqual({ conversions: 2n, revenue_minor: 5_000n });
      expect(await figures(table, legacy)).toEqual({ conversions: 1n, revenue_minor: 0n });
    }
  });
});
