import { CreateCampaignBody } from '../src/campaigns/contract.js';
import { TrackingEventBody } from '../src/tracking/contract.js';

describe('request validation', () => {
  it('turns money strings into minor units and refuses rule amounts in another currency', () => {
    const ok = CreateCampaignBody.parse({
      name: 'x',
      landingUrl: 'https://a.example',
      budget: { amount: '12.5', currency: 'USD' },
      commissionRules: [{ event: 'click', type: 'fixed', amount: { amount: '0.25', currency: 'USD' } }],
    });
    expect(ok.budget).toEqual({ amountMinor: 1250n, currency: 'USD' });
    expect(ok.visibility).toBe('open');
    const mixed = CreateCampaignBody.safeParse({
      name: 'x',
      landingUrl: 'https://a.example',
      budget: { amount: '12.50', currency: 'USD' },
      commissionRules: [{ event: 'click', type: 'fixed', amount: { amount: '0.25', currency: 'EUR' } }],
    });
    expect(mixed.success).toBe(false);
  });

  it('requires value and orderId for conversions, orderId for refunds, name for custom events', () => {
    const paths = (body: unknown) => {
      const r = TrackingEventBody.safeParse(body);
      return r.success ? [] : r.error.issues.map((i) => i.path.join('.')).sort();
    };
    expect(paths({ type: 'conversion', campaignId: 'c', visitorId: 'v' })).toEqual(['orderId', 'value']);
    expect(paths({ type: 'refund', campaignId: 'c', visitorId: 'v' })).toEqual(['orderId']);
    expect(paths({ type: 'custom', campaignId: 'c', visitorId: 'v' })).toEqual(['name']);
    expect(paths({ type: 'click', campaignId: 'c', visitorId: 'v', properties: { a: 1 } })).toEqual([]);
  });
});
