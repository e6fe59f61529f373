import { recordedEvent } from '@beacon/testing';
import { figuresOf } from '../src/tracking/projection.js';

const event = recordedEvent;
const zero = {
  impressions: 0n,
  clicks: 0n,
  conversions: 0n,
  invalid_events: 0n,
  revenue_minor: 0n,
  leads: 0n,
  customers: 0n,
  converted_leads: 0n,
};
const USD = (amountMinor: bigint) => ({ amountMinor, currency: 'USD' });

describe('the figures a batch of recorded events adds (the BFF is their one owner)', () => {
  it('given impressions, a duplicate click, a conversion and its refund, then one row per campaign, influencer and day', () => {
    const figures = figuresOf(
      [
        event(),
        event(),
        event({ type: 'click' }),
        event({ type: 'click', duplicate: true }),
        event({ type: 'conversion', value: USD(5000n) }),
        event({ type: 'refund', value: USD(5000n) }),
      ],
      '2026-03-02T00:00:00.000Z',
      new Map([['c-1', 'USD']]),
    );
    expect(figures.stats.entries()).toEqual([
      [['c-1', 'inf-1', '2026-03-01'], { ...zero, impressions: 2n, clicks: 1n, conversions: 1n, revenue_minor: 0n }],
    ]);
    expect(figures.activity.get(['b-1', 'v-1', '2026-03-01T04:00:00.000Z', 'impression'])).toBe(2n);
    // the stats' 4-hour chart, kept as the events arrive: the duplicate click counts nowhere
    expect(figures.windows.entries()).toEqual([
      [['c-1', '2026-03-01T04:00:00.000Z'], { impressions: 2n, clicks: 1n, conversions: 1n, revenue_minor: 0n }],
    ]);
  });

  it("given conversions in the campaign's currency and in another, then only the first add revenue (CURRENCY_MISMATCH)", () => {
    const figures = figuresOf(
      [
        event({ type: 'conversion', value: USD(5000n) }),
        event({ type: 'conversion', value: { amountMinor: 900000n, currency: 'EUR' } }),
        event({ type: 'refund', value: { amountMinor: 900000n, currency: 'EUR' } }),
      ],
      '2026-03-02T00:00:00.000Z',
      new Map([['c-1', 'USD']]),
    );
    expect(figures.stats.get(['c-1', 'inf-1', '2026-03-01'])).toEqual({
      ...zero,
      conversions: 2n,
      revenue_minor: 5000n,
    });
  });

  it("given another brand's write, then it counts only in its sender's activity, never in the campaign's stats", () => {
    const figures = figuresOf(
      [event({ valid: false, reasons: ['NOT_OWNER'], brandId: 'b-2' })],
      '2026-03-02T00:00:00.000Z',
    );
    expect(figures.stats.size).toBe(0);
    expect(figures.activity.keys()).toEqual([['b-2', 'v-1', '2026-03-01T04:00:00.000Z', 'impression']]);
  });

  it('given an event whose time is not believed, then it counts invalid on the day it was recorded and in no window', () => {
    const figures = figuresOf(
      [event({ valid: false, reasons: ['OCCURRED_AT_OUT_OF_WINDOW'], occurredAt: '2020-01-01T00:00:00.000Z' })],
      '2026-03-02T10:00:00.000Z',
    );
    expect(figures.stats.entries()).toEqual([[['c-1', 'inf-1', '2026-03-02'], { ...zero, invalid_events: 1n }]]);
    expect(figures.activity.size).toBe(0);
  });
});
