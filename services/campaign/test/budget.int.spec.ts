import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { deliver, deliverMany, freshServiceDatabase, USD } from '@beacon/testing';
import type { Database } from '../src/db.js';
import { migrations } from '../src/migrations.js';
import { stateFromJson } from '../src/campaign.js';
import { campaignService } from '../src/service.js';
import type { MessageHandlers } from '@beacon/contracts';

let db: Kysely<Database>;
let handlers: MessageHandlers<Database>;

beforeAll(async () => {
  db = await freshServiceDatabase<Database>('beacon_campaign_int_test', migrations);
  const subs = campaignService.subscriptions({} as never);
  handlers = Object.assign({}, ...subs.map((s) => s.handlers));
});
afterAll(() => db.destroy());

async function campaignWithBudget(budgetMinor: number): Promise<string> {
  const campaignId = randomUUID();
  await deliver(db, handlers, 'campaign.CreateCampaign', {
    campaignId,
    brandId: 'b',
    name: 'n',
    landingUrl: 'https://x.example',
    budget: USD(budgetMinor),
    commissionRules: [
      { event: 'conversion', type: 'fixed', rate: null, amount: USD(1000), customerDurationMonths: null },
    ],
    leadCommission: null,
    attributionModel: 'last_click',
    visibility: 'open',
    attributionWindowDays: 30,
    holdingPeriodDays: 0,
    influencerIds: [],
    review: null,
  });
  return campaignId;
}

const calculated = (campaignId: string, commissionId: string, amountMinor: number) => ({
  commissionId,
  campaignId,
  influencerId: 'inf',
  sourceEventId: randomUUID(),
  eventType: 'conversion',
  attribution: null,
  amount: USD(amountMinor),
});

describe('budget ledger on real PostgreSQL', () => {
  it('reserves once when the same reservation request is delivered twice, even as two messages', async () => {
    const campaignId = await campaignWithBudget(5000);
    const messageId = randomUUID();
    const message = calculated(campaignId, 'k-1', 1000);
    const first = await deliver(db, handlers, 'commission.CommissionCalculated', message, { messageId });
    const redelivered = await deliver(db, handlers, 'commission.CommissionCalculated', message, { messageId });
    const republished = await deliver(db, handlers, 'commission.CommissionCalculated', message);
    expect(first.map((e) => e.type)).toEqual(['campaign.BudgetReserved']);
    expect(redelivered).toEqual([]);
    expect(republished).toEqual([]);
    const row = await db.selectFrom('campaigns').select('state').where('id', '=', campaignId).executeTakeFirstOrThrow();
    expect(stateFromJson(row.state).spent).toBe(1000n);
  });

  it('never overspends when reservations race in parallel transactions', async () => {
    const campaignId = await campaignWithBudget(2500);
    const results = await Promise.all(
      [1, 2, 3, 4].map((n) =>
        deliver(db, handlers, 'commission.CommissionCalculated', calculated(campaignId, `race-${n}`, 1000)),
      ),
    );
    const reserved = results
      .flat()
      .filter((e) => e.type === 'campaign.BudgetReserved')
      .map((e) => (e.value as { reserved: { amountMinor: bigint } }).reserved.amountMinor);
    expect(reserved.reduce((a, b) => a + b, 0n)).toBe(2500n);
    // Numeric order, largest first: two full reservations, then the one capped to what remained.
    expect(reserved.sort((a, b) => (a < b ? 1 : a > b ? -1 : 0))).toEqual([1000n, 1000n, 500n]);
    expect(results.flat().filter((e) => e.type === 'campaign.BudgetReservationRejected')).toHaveLength(1);
    const row = await db.selectFrom('campaigns').select('state').where('id', '=', campaignId).executeTakeFirstOrThrow();
    expect(stateFromJson(row.state)).toMatchObject({ spent: 2500n, status: 'budget_exhausted' });
  });
});

describe('a hot campaign: reservations decided many at once', () => {
  const reservations = (campaignId: string) =>
    db
      .selectFrom('reservations')
      .select(['commission_id', 'amount_minor', 'released'])
      .where('campaign_id', '=', campaignId)
      .orderBy('commission_id')
      .execute();

  it('reserve what one at a time would: in order until the budget runs out, then partially, then refused; a repeat once', async () => {
    // A budget of 3,500 against 1,000 each: three whole, one of 500, then refusals; k-2 comes twice.
    const ids = ['k-1', 'k-2', 'k-2', 'k-3', 'k-4', 'k-5'];
    const [many, one] = [await campaignWithBudget(3500), await campaignWithBudget(3500)];
    const emittedMany = await deliverMany(
      db,
      handlers,
      'commission.CommissionCalculated',
      ids.map((id) => calculated(many, id, 1000)),
    );
    const emittedOne = [];
    for (const id of ids)
      emittedOne.push(...(await deliver(db, handlers, 'commission.CommissionCalculated', calculated(one, id, 1000))));
    const shape = (e: { type: string; value: unknown }) => {
      const v = e.value as { commissionId: string; reserved?: unknown; reason?: string; spent?: unknown };
      return [e.type, v.commissionId, v.reserved ?? v.reason ?? null, v.spent ?? null];
    };
    expect(emittedMany.map(shape)).toEqual(emittedOne.map(shape));
    const strip = (rows: Awaited<ReturnType<typeof reservations>>) => rows.map((r) => ({ ...r }));
    expect(strip(await reservations(many))).toEqual(strip(await reservations(one)));
    const campaign = await db.selectFrom('campaigns').select('state').where('id', '=', many).executeTakeFirstOrThrow();
    expect(stateFromJson(campaign.state)?.spent).toBe(3500n);
    expect(emittedMany.filter((e) => e.type === 'campaign.BudgetReserved')).toHaveLength(4);
  });
});
