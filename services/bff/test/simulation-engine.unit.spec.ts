/**
 * The backtest engine over a small history written by hand: the current terms give back what was
 * paid; a lower rate pays less and never runs out of budget; a shorter window attributes nothing.
 */
import { campaignCreated, recordedEvent, USD } from '@beacon/testing';
import type { Event as CampaignEvent } from '@beacon/campaign-service/campaign';
import { rulesOfCampaign, simulation, type HistoryMessage, type SimulationResult } from '../src/simulations/engine.js';

const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const at = (hours: number) => new Date(T0 + hours * 3_600_000).toISOString();
const created = campaignCreated({ budget: USD(10_000) });

function history(): HistoryMessage[] {
  const recorded = (over: Parameters<typeof recordedEvent>[0]): HistoryMessage => ({
    type: 'tracking.Recorded',
    data: { correlationId: `flow-${over?.eventId ?? ''}`, event: recordedEvent(over) },
  });
  const sale = (
    id: string,
    commissionId: string,
    hours: number,
    valueMinor: number,
    reservedMinor: number,
    remainingMinor: number,
  ) => {
    const requested = USD(valueMinor / 10);
    const reserved = USD(reservedMinor);
    const named = { commissionId, campaignId: 'c-1', influencerId: 'inf-1', sourceEventId: id };
    return [
      recorded({
        eventId: id,
        type: 'conversion',
        attribution: 'last_click',
        occurredAt: at(hours),
        value: USD(valueMinor),
        orderId: `o-${id}`,
      }),
      { type: 'commission', event: { type: 'commission.CommissionCalculated', data: { ...named, amount: requested } } },
      {
        type: 'campaign',
        event: {
          type: 'campaign.BudgetReserved',
          data: {
            campaignId: 'c-1',
            commissionId,
            requested,
            reserved,
            spent: USD(10_000 - remainingMinor),
            remaining: USD(remainingMinor),
          },
        },
      },
      {
        type: 'commission',
        event: {
          type: 'commission.CommissionApproved',
          data: { ...named, requested, amount: reserved, holdingPeriodDays: 0 },
        },
      },
    ] as HistoryMessage[];
  };
  return [
    { type: 'campaign.CampaignCreated', data: created },
    {
      type: 'campaign',
      event: { type: 'campaign.InfluencerAccepted', data: { campaignId: 'c-1', influencerId: 'inf-1' } },
    },
    recorded({ eventId: 'k-1', type: 'click', clickId: 'ck-1', occurredAt: at(0) }),
    // No rule pays for clicks: commission says so.
    {
      type: 'commission',
      event: {
        type: 'commission.CommissionRejected',
        data: {
          commissionId: 'cm-k',
          campaignId: 'c-1',
          influencerId: 'inf-1',
          sourceEventId: 'k-1',
          reason: 'NO_RULE',
          amount: null,
          attribution: 'explicit',
          reasonDetail: null,
        },
      },
    },
    // 500.00 at 10%: 50.00 of the 100.00 budget; then 800.00: 80.00 asked, the 50.00 left reserved.
    ...sale('s-1', 'cm-1', 48, 50_000, 5_000, 5_000),
    ...sale('s-2', 'cm-2', 49, 80_000, 5_000, 0),
    {
      type: 'campaign',
      event: {
        type: 'campaign.CampaignStatusChanged',
        data: { campaignId: 'c-1', from: 'active', to: 'budget_exhausted', reason: 'budget_spent' },
      },
    },
  ];
}

function run(proposed: Parameters<typeof simulation>[1]['proposed']): SimulationResult {
  const steps = simulation(history(), { campaignId: 'c-1', proposed, from: at(-1), to: at(100) });
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

const rate = (r: string) => [
  { event: 'conversion' as const, type: 'percent' as const, rate: r, amount: null, customerDurationMonths: null },
];

describe('the backtest engine', () => {
  it('gives back what was paid for the current terms, to the cent, the budget running out on the second sale', () => {
    const result = run({ rules: rulesOfCampaign(created) });
    expect(result.proposed).toEqual(result.actual);
    expect(result.actual.totalMinor).toBe(10_000n);
    expect(result.actual.byInfluencer).toEqual(new Map([['inf-1', 10_000n]]));
    expect(result.actual.budgetExhaustedAt).toBe(at(49));
    expect(result.events).toBe(3);
  });

  it('at 5% pays 25.00 + 40.00 and the budget lasts', () => {
    const { proposed, actual } = run({ rules: rate('5') });
    expect(proposed.totalMinor).toBe(6_500n);
    expect(proposed.budgetExhaustedAt).toBeNull();
    expect(actual.totalMinor).toBe(10_000n);
  });

  it('with a one-day window the sales two days after the click are not attributed', () => {
    const { proposed } = run({ rules: rulesOfCampaign(created), attributionWindowDays: 1 });
    expect(proposed.totalMinor).toBe(0n);
    expect(proposed.rejectedByReason).toEqual(
      new Map([
        ['NO_RULE', 1],
        ['UNATTRIBUTED', 2],
      ]),
    );
  });

  it('takes budget events in the order their budgetSeq says the campaign decided them, not the order they were published in', () => {
    // s-2's reservation (decided first: the whole 80.00) went out before s-1's (decided second: the 20.00 left).
    const messages = history().slice(0, 4);
    const sales = history().slice(4, 12);
    const [r1, c1, b1, a1, r2, c2, b2, a2] = sales as HistoryMessage[];
    const budget = (m: HistoryMessage | undefined, reservedMinor: number, remainingMinor: number, seq: bigint) => {
      const e = (m as Extract<HistoryMessage, { type: 'campaign' }>).event as Extract<
        CampaignEvent,
        { type: 'campaign.BudgetReserved' }
      >;
      return {
        type: 'campaign',
        event: {
          ...e,
          data: {
            ...e.data,
            reserved: USD(reservedMinor),
            spent: USD(10_000 - remainingMinor),
            remaining: USD(remainingMinor),
            budgetSeq: seq,
          },
        },
      } as HistoryMessage;
    };
    const amount = (m: HistoryMessage | undefined, minor: number) => {
      const e = (m as Extract<HistoryMessage, { type: 'commission' }>).event as { type: string; data: object };
      return { type: 'commission', event: { ...e, data: { ...e.data, amount: USD(minor) } } } as HistoryMessage;
    };
    const reordered = [
      ...messages,
      r1,
      c1,
      r2,
      c2,
      budget(b2, 8_000, 2_000, 1n),
      budget(b1, 2_000, 0, 2n),
      amount(a1, 2_000),
      amount(a2, 8_000),
    ] as HistoryMessage[];
    const steps = simulation(reordered, {
      campaignId: 'c-1',
      proposed: { rules: rulesOfCampaign(created) },
      from: at(-1),
      to: at(100),
    });
    let next = steps.next();
    while (!next.done) next = steps.next();
    expect(next.value.actual.totalMinor).toBe(10_000n);
    expect(next.value.proposed).toEqual(next.value.actual);
    // s-1 got the 20.00 that was left, s-2 its whole 80.00: as decided, not as published.
    const paid = new Map(next.value.outcomes.proposed.map((o) => [o.sourceEventId, o.amountMinor]));
    expect([paid.get('s-1'), paid.get('s-2')]).toEqual([2_000n, 8_000n]);
  });

  it('counts only the source events in the range asked for', () => {
    const steps = simulation(history(), {
      campaignId: 'c-1',
      proposed: { rules: rulesOfCampaign(created) },
      from: at(48.5),
      to: at(100),
    });
    let next = steps.next();
    while (!next.done) next = steps.next();
    expect(next.value.proposed.totalMinor).toBe(5_000n);
    expect(next.value.proposed).toEqual(next.value.actual);
  });
});
