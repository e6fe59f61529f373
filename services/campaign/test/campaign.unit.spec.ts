import { deciderSpec, USD } from '@beacon/testing';
import type { CampaignCreated, CreateCampaign, CreateCoupon } from '@beacon/contracts';
import { MAX_CAMPAIGN_MEMBERS } from '@beacon/domain';
import { campaignDecider, type Event } from '../src/campaign.js';

const create = (over: Partial<CreateCampaign> = {}): CreateCampaign => ({
  campaignId: 'c-1',
  brandId: 'brand-1',
  name: 'Summer',
  landingUrl: 'https://shop.example/summer',
  budget: USD(10000),
  commissionRules: [{ event: 'conversion', type: 'percent', rate: '10', amount: null, customerDurationMonths: null }],
  visibility: 'open',
  attributionWindowDays: 30,
  attributionModel: 'last_click',
  leadCommission: null,
  holdingPeriodDays: 0,
  influencerIds: [],
  review: null,
  ...over,
});
const created = (over: Partial<CreateCampaign> = {}): Event => {
  const c = create(over);
  const data: CampaignCreated = {
    campaignId: c.campaignId,
    brandId: c.brandId,
    name: c.name,
    landingUrl: c.landingUrl,
    budget: c.budget,
    commissionRules: c.commissionRules,
    leadCommission: c.leadCommission,
    visibility: c.visibility,
    attributionWindowDays: c.attributionWindowDays,
    attributionModel: c.attributionModel,
    holdingPeriodDays: c.holdingPeriodDays,
    invitedInfluencerIds: c.influencerIds,
    status: 'active',
    review: c.review,
  };
  return { type: 'campaign.CampaignCreated', data };
};
const accepted = (influencerId: string): Event => ({
  type: 'campaign.InfluencerAccepted',
  data: { campaignId: 'c-1', influencerId },
});
const calc = (commissionId: string, amountMinor: number) => ({
  type: 'commission.CommissionCalculated' as const,
  data: {
    commissionId,
    campaignId: 'c-1',
    influencerId: 'inf-1',
    sourceEventId: `e-${commissionId}`,
    eventType: 'conversion',
    attribution: null,
    amount: USD(amountMinor),
  },
});
/** The campaign's `budgetSeq`-th budget decision: a reservation. */
const reserved = (
  commissionId: string,
  requested: number,
  got: number,
  spent: number,
  budget: number,
  budgetSeq: number,
): Event => ({
  type: 'campaign.BudgetReserved',
  data: {
    campaignId: 'c-1',
    commissionId,
    requested: USD(requested),
    reserved: USD(got),
    spent: USD(spent),
    remaining: USD(budget - spent),
    budgetSeq: BigInt(budgetSeq),
  },
});
const spec = deciderSpec(campaignDecider);

describe('creating a campaign', () => {
  it('creates an active campaign', () =>
    spec.givenEvents([]).when({ type: 'campaign.CreateCampaign', data: create() }).then([created()]));

  it('refuses a second campaign with the same id', () =>
    spec
      .givenEvents([created()])
      .when({ type: 'campaign.CreateCampaign', data: create() })
      .then([
        {
          type: 'campaign.CampaignRejected',
          data: { campaignId: 'c-1', brandId: 'brand-1', reason: 'ALREADY_EXISTS' },
        },
      ]));

  it('refuses rules in another currency than the budget', () => {
    const events = campaignDecider.decide(
      {
        type: 'campaign.CreateCampaign',
        data: create({
          commissionRules: [
            {
              event: 'click',
              type: 'fixed',
              rate: null,
              amount: { amountMinor: 25n, currency: 'EUR' },
              customerDurationMonths: null,
            },
          ],
        }),
      },
      null,
    ).events;
    expect(events[0]?.type).toBe('campaign.CampaignRejected');
    expect((events[0]?.data as { reason: string }).reason).toMatch(/^CURRENCY_MISMATCH/);
  });

  it('refuses a percent rate above 100 and a name the database cannot store, rather than failing', () => {
    const reason = (over: Parameters<typeof create>[0]) =>
      (
        campaignDecider.decide({ type: 'campaign.CreateCampaign', data: create(over) }, null).events[0]?.data as {
          reason: string;
        }
      ).reason;
    expect(
      reason({
        commissionRules: [
          { event: 'conversion', type: 'percent', rate: '150', amount: null, customerDurationMonths: null },
        ],
      }),
    ).toMatch(/^INVALID_RULE: percent rate must be at most 100/);
    expect(reason({ name: 'Summer\u0000sale' })).toMatch(/^INVALID_TEXT/);
    expect(reason({ name: 'Summer \ud800' })).toMatch(/^INVALID_TEXT/);
  });

  it('refuses a percent rule on clicks', () => {
    const events = campaignDecider.decide(
      {
        type: 'campaign.CreateCampaign',
        data: create({
          commissionRules: [{ event: 'click', type: 'percent', rate: '5', amount: null, customerDurationMonths: null }],
        }),
      },
      null,
    ).events;
    expect((events[0]?.data as { reason: string }).reason).toMatch(/^INVALID_RULE/);
  });
});

describe('a campaign’s status', () => {
  const exhausted = (): Event[] => [
    created({ budget: USD(1000) }),
    accepted('inf-1'),
    reserved('k1', 1000, 1000, 1000, 1000, 1),
    {
      type: 'campaign.CampaignStatusChanged',
      data: { campaignId: 'c-1', from: 'active', to: 'budget_exhausted', reason: 'budget_spent' },
    },
  ];
  const change = (action: 'pause' | 'resume' | 'complete') => ({
    type: 'campaign.ChangeCampaignStatus' as const,
    data: { campaignId: 'c-1', requestedBy: 'brand-1', action },
  });

  it('a campaign whose budget ran out can still be paused, and resumed it is exhausted again', () => {
    spec
      .givenEvents(exhausted())
      .when(change('pause'))
      .then([
        {
          type: 'campaign.CampaignStatusChanged',
          data: { campaignId: 'c-1', from: 'budget_exhausted', to: 'paused', reason: 'pause' },
        },
      ]);
    spec
      .givenEvents([
        ...exhausted(),
        {
          type: 'campaign.CampaignStatusChanged',
          data: { campaignId: 'c-1', from: 'budget_exhausted', to: 'paused', reason: 'pause' },
        },
      ])
      .when(change('resume'))
      .then([
        {
          type: 'campaign.CampaignStatusChanged',
          data: { campaignId: 'c-1', from: 'paused', to: 'budget_exhausted', reason: 'resume' },
        },
      ]);
  });

  it('a campaign whose budget ran out can be completed', () =>
    spec
      .givenEvents(exhausted())
      .when(change('complete'))
      .then([
        {
          type: 'campaign.CampaignStatusChanged',
          data: { campaignId: 'c-1', from: 'budget_exhausted', to: 'completed', reason: 'complete' },
        },
      ]));

  it('a brand cannot accept its own campaign (it would pay itself from its own budget)', () =>
    spec
      .givenEvents([created()])
      .when({
        type: 'campaign.AcceptCampaign',
        data: { campaignId: 'c-1', influencerId: 'brand-1', acceptedTerms: true },
      })
      .then([
        {
          type: 'campaign.AcceptanceRejected',
          data: { campaignId: 'c-1', influencerId: 'brand-1', reason: 'OWN_CAMPAIGN' },
        },
      ]));

  it('an active campaign can be paused by its brand', () =>
    spec
      .givenEvents([created()])
      .when({
        type: 'campaign.ChangeCampaignStatus',
        data: { campaignId: 'c-1', requestedBy: 'brand-1', action: 'pause' },
      })
      .then([
        {
          type: 'campaign.CampaignStatusChanged',
          data: { campaignId: 'c-1', from: 'active', to: 'paused', reason: 'pause' },
        },
      ]));

  it('never reopens a completed campaign', () =>
    spec
      .givenEvents([
        created(),
        {
          type: 'campaign.CampaignStatusChanged',
          data: { campaignId: 'c-1', from: 'active', to: 'completed', reason: 'complete' },
        },
      ])
      .when({
        type: 'campaign.ChangeCampaignStatus',
        data: { campaignId: 'c-1', requestedBy: 'brand-1', action: 'resume' },
      })
      .then([
        {
          type: 'campaign.CampaignCommandRejected',
          data: { campaignId: 'c-1', command: 'resume', reason: 'INVALID_TRANSITION: completed → active' },
        },
      ]));
});

describe('an influencer joining a campaign', () => {
  const acceptsTerms = (acceptedTerms: boolean) =>
    ({ type: 'campaign.AcceptCampaign', data: { campaignId: 'c-1', influencerId: 'inf-1', acceptedTerms } }) as const;
  const acceptanceRejected = (reason: string): Event => ({
    type: 'campaign.AcceptanceRejected',
    data: { campaignId: 'c-1', influencerId: 'inf-1', reason },
  });

  it('accepts an influencer on an open campaign who accepted the terms', () =>
    spec
      .givenEvents([created()])
      .when(acceptsTerms(true))
      .then([accepted('inf-1')]));

  it('is refused without accepting the terms', () =>
    spec
      .givenEvents([created()])
      .when(acceptsTerms(false))
      .then([acceptanceRejected('TERMS_NOT_ACCEPTED')]));

  it('requires an invitation on invite-only campaigns', () =>
    spec
      .givenEvents([created({ visibility: 'invite_only', influencerIds: ['inf-2'] })])
      .when(acceptsTerms(true))
      .then([acceptanceRejected('NOT_INVITED')]));

  it('lets only accepted influencers submit evidence', () =>
    spec
      .givenEvents([created()])
      .when({
        type: 'campaign.SubmitEvidence',
        data: {
          campaignId: 'c-1',
          influencerId: 'inf-1',
          evidenceId: 'ev-1',
          type: 'photo',
          url: 'https://x/p.jpg',
          description: null,
        },
      })
      .then([
        {
          type: 'campaign.CampaignCommandRejected',
          data: { campaignId: 'c-1', command: 'evidence', reason: 'NOT_ACCEPTED' },
        },
      ]));
});

describe('members of a campaign are bounded', () => {
  const full = Array.from({ length: MAX_CAMPAIGN_MEMBERS }, (_, i) => `inf-${i}`);

  it('refuses a campaign created with more invitations than a campaign holds', () => {
    const events = campaignDecider.decide(
      { type: 'campaign.CreateCampaign', data: create({ influencerIds: [...full, 'one-more'] }) },
      null,
    ).events;
    expect(events).toEqual([
      {
        type: 'campaign.CampaignRejected',
        data: { campaignId: 'c-1', brandId: 'brand-1', reason: expect.stringMatching(/^TOO_MANY_MEMBERS/) },
      },
    ]);
  });

  it('refuses to invite past the cap, refuses a newcomer on a full open campaign, and still lets a member accept', () => {
    const given = [created({ influencerIds: full })];
    spec
      .givenEvents(given)
      .when({
        type: 'campaign.InviteInfluencers',
        data: { campaignId: 'c-1', requestedBy: 'brand-1', influencerIds: ['x'] },
      })
      .then([
        {
          type: 'campaign.CampaignCommandRejected',
          data: { campaignId: 'c-1', command: 'invite', reason: expect.stringMatching(/^TOO_MANY_MEMBERS/) },
        },
      ]);
    spec
      .givenEvents(given)
      .when({
        type: 'campaign.AcceptCampaign',
        data: { campaignId: 'c-1', influencerId: 'newcomer', acceptedTerms: true },
      })
      .then([
        {
          type: 'campaign.AcceptanceRejected',
          data: { campaignId: 'c-1', influencerId: 'newcomer', reason: 'CAMPAIGN_FULL' },
        },
      ]);
    spec
      .givenEvents(given)
      .when({
        type: 'campaign.AcceptCampaign',
        data: { campaignId: 'c-1', influencerId: 'inf-7', acceptedTerms: true },
      })
      .then([{ type: 'campaign.InfluencerAccepted', data: { campaignId: 'c-1', influencerId: 'inf-7' } }]);
  });

  it('counts every member once, invited or accepted', () => {
    const state = [
      created({ influencerIds: ['a', 'a', 'b'] }),
      accepted('a'),
      accepted('c'),
      { type: 'campaign.InfluencersInvited' as const, data: { campaignId: 'c-1', influencerIds: ['d'] } },
    ].reduce(campaignDecider.evolve, null);
    expect(state?.memberCount).toBe(4);
  });
});

describe('the budget of a campaign', () => {
  it('reserves in full while the budget lasts; the 10th of ten exhausts it exactly; the 11th is refused', () => {
    const history: Event[] = [created(), accepted('inf-1')];
    for (let i = 1; i <= 9; i++) history.push(reserved(`k${i}`, 1000, 1000, i * 1000, 10000, i));
    spec
      .givenEvents(history)
      .when(calc('k10', 1000))
      .then([
        reserved('k10', 1000, 1000, 10000, 10000, 10),
        {
          type: 'campaign.CampaignStatusChanged',
          data: { campaignId: 'c-1', from: 'active', to: 'budget_exhausted', reason: 'budget_spent' },
        },
      ]);
    history.push(reserved('k10', 1000, 1000, 10000, 10000, 10), {
      type: 'campaign.CampaignStatusChanged',
      data: { campaignId: 'c-1', from: 'active', to: 'budget_exhausted', reason: 'budget_spent' },
    });
    spec
      .givenEvents(history)
      .when(calc('k11', 1000))
      .then([
        {
          type: 'campaign.BudgetReservationRejected',
          data: { campaignId: 'c-1', commissionId: 'k11', reason: 'BUDGET_EXHAUSTED', budgetSeq: 11n },
        },
      ]);
  });

  it('caps the last commission to what remains', () =>
    spec
      .givenEvents([
        created({ budget: USD(2500) }),
        reserved('k1', 1000, 1000, 1000, 2500, 1),
        reserved('k2', 1000, 1000, 2000, 2500, 2),
      ])
      .when(calc('k3', 1000))
      .then([
        reserved('k3', 1000, 500, 2500, 2500, 3),
        {
          type: 'campaign.CampaignStatusChanged',
          data: { campaignId: 'c-1', from: 'active', to: 'budget_exhausted', reason: 'budget_spent' },
        },
      ]));

  it('answers a repeated reservation request once', () =>
    spec
      .givenEvents([created(), reserved('k1', 1000, 1000, 1000, 10000, 1)])
      .when(calc('k1', 1000))
      .then([]));

  it('releases a reversed commission and reactivates an exhausted campaign', () =>
    spec
      .givenEvents([
        created({ budget: USD(1000) }),
        reserved('k1', 1000, 1000, 1000, 1000, 1),
        {
          type: 'campaign.CampaignStatusChanged',
          data: { campaignId: 'c-1', from: 'active', to: 'budget_exhausted', reason: 'budget_spent' },
        },
      ])
      .when({
        type: 'commission.CommissionReversed',
        data: { commissionId: 'k1', campaignId: 'c-1', influencerId: 'inf-1', refundEventId: 'r-1', amount: USD(1000) },
      })
      .then([
        {
          type: 'campaign.BudgetReleased',
          data: {
            campaignId: 'c-1',
            commissionId: 'k1',
            released: USD(1000),
            spent: USD(0),
            remaining: USD(1000),
            budgetSeq: 2n,
          },
        },
        {
          type: 'campaign.CampaignStatusChanged',
          data: { campaignId: 'c-1', from: 'budget_exhausted', to: 'active', reason: 'budget_released' },
        },
      ]));

  it('a reversal that overtakes its reservation request releases nothing, and the late request then reserves nothing', () => {
    const reversed = {
      type: 'commission.CommissionReversed' as const,
      data: { commissionId: 'k1', campaignId: 'c-1', influencerId: 'inf-1', refundEventId: 'r-1', amount: USD(1000) },
    };
    const releasedNothing = {
      type: 'campaign.BudgetReleased' as const,
      data: {
        campaignId: 'c-1',
        commissionId: 'k1',
        released: USD(0),
        spent: USD(0),
        remaining: USD(10000),
        budgetSeq: 1n,
      },
    };
    spec.givenEvents([created()]).when(reversed).then([releasedNothing]);
    spec.givenEvents([created(), releasedNothing]).when(calc('k1', 1000)).then([]);
  });
});

describe('coupon codes', () => {
  const spec = deciderSpec(campaignDecider);
  const coupon = (over: Partial<CreateCoupon> = {}): CreateCoupon => ({
    campaignId: 'c-1',
    brandId: 'brand-1',
    code: 'MAYA10',
    influencerId: 'inf-1',
    ...over,
  });
  const rejectedWith = (reason: string, code = 'MAYA10'): Event[] => [
    { type: 'campaign.CouponRejected', data: { campaignId: 'c-1', code, reason } },
  ];
  const taken = { code: 'maya10', campaignId: 'c-other', influencerId: 'inf-9', active: true };

  it('given an accepted influencer, when the owner creates a code for it, then the code is created', () =>
    spec
      .givenEvents([created(), accepted('inf-1')])
      .when({ type: 'campaign.CreateCoupon', data: coupon() })
      .then([{ type: 'campaign.CouponCreated', data: coupon() }]));

  it('given the brand holds the code in another case on another campaign, then CODE_TAKEN', () => {
    const state = [created(), accepted('inf-1')].reduce(campaignDecider.evolve, campaignDecider.initialState());
    spec
      .given(state && { ...state, coupons: { maya10: taken } })
      .when({ type: 'campaign.CreateCoupon', data: coupon() })
      .then(rejectedWith('CODE_TAKEN'));
  });

  it('given an influencer who has not accepted, another brand, or a malformed code, then a rejection with its reason', () => {
    const campaign = spec.givenEvents([created(), accepted('inf-1')]);
    campaign
      .when({ type: 'campaign.CreateCoupon', data: coupon({ influencerId: 'inf-2' }) })
      .then(rejectedWith('NOT_PARTICIPATING'));
    campaign
      .when({ type: 'campaign.CreateCoupon', data: coupon({ brandId: 'brand-2' }) })
      .then(rejectedWith('NOT_OWNER'));
    campaign
      .when({ type: 'campaign.CreateCoupon', data: coupon({ code: 'a b' }) })
      .then(rejectedWith('INVALID_CODE: 4 to 32 letters, digits, _ or -', 'a b'));
    spec.givenNothing().when({ type: 'campaign.CreateCoupon', data: coupon() }).then(rejectedWith('UNKNOWN_CAMPAIGN'));
  });

  it('given a code of the campaign, when deactivated, then it is; a code the campaign does not hold is UNKNOWN_COUPON', () => {
    const deactivate = (code: string) => ({
      type: 'campaign.DeactivateCoupon' as const,
      data: { campaignId: 'c-1', brandId: 'brand-1', code },
    });
    spec
      .givenEvents([created(), accepted('inf-1'), { type: 'campaign.CouponCreated', data: coupon() }])
      .when(deactivate('maya10'))
      .then([{ type: 'campaign.CouponDeactivated', data: { campaignId: 'c-1', brandId: 'brand-1', code: 'MAYA10' } }]);
    spec.givenEvents([created()]).when(deactivate('NOPE1')).then(rejectedWith('UNKNOWN_COUPON', 'NOPE1'));
  });
});

describe('review rules and held commissions (domain.md, "Review and holds")', () => {
  const reasonOf = (review: CreateCampaign['review']) => {
    const [event] = campaignDecider.decide({ type: 'campaign.CreateCampaign', data: create({ review }) }, null).events;
    return event?.type === 'campaign.CampaignRejected' ? event.data.reason : event?.type;
  };
  it('keeps valid review rules on the campaign it creates', () => {
    const review = { thresholdAmount: USD(5000), reviewDays: 7, signals: ['SHARED_IP'] };
    spec
      .given(null)
      .when({ type: 'campaign.CreateCampaign', data: create({ review }) })
      .then([created({ review })]);
  });
  it('refuses review days out of 1–90, an unknown signal, and a threshold in another currency or of nothing', () => {
    expect(reasonOf({ thresholdAmount: null, reviewDays: 0, signals: [] })).toMatch(/^INVALID_REVIEW: reviewDays/);
    expect(reasonOf({ thresholdAmount: null, reviewDays: 91, signals: [] })).toMatch(/^INVALID_REVIEW: reviewDays/);
    expect(reasonOf({ thresholdAmount: null, reviewDays: 7, signals: ['VIBES'] })).toBe(
      'INVALID_REVIEW: unknown signal VIBES',
    );
    expect(reasonOf({ thresholdAmount: { amountMinor: 100n, currency: 'EUR' }, reviewDays: 7, signals: [] })).toMatch(
      /^CURRENCY_MISMATCH/,
    );
    expect(reasonOf({ thresholdAmount: USD(0), reviewDays: 7, signals: [] })).toMatch(/^INVALID_REVIEW: the threshold/);
  });
  const reviewed = (decision: 'approved' | 'rejected') => ({
    type: 'commission.CommissionReviewed' as const,
    data: {
      commissionId: 'k1',
      campaignId: 'c-1',
      influencerId: 'inf-1',
      decision,
      reason: decision === 'approved' ? 'APPROVED' : 'FRAUD',
      amount: USD(1000),
      decidedBy: 'brand-1',
    },
  });
  it('a held commission rejected gives its reservation back; approved, it keeps it', () => {
    const history = [created(), reserved('k1', 1000, 1000, 1000, 10000, 1)];
    spec
      .givenEvents(history)
      .when(reviewed('rejected'))
      .then([
        {
          type: 'campaign.BudgetReleased',
          data: {
            campaignId: 'c-1',
            commissionId: 'k1',
            released: USD(1000),
            spent: USD(0),
            remaining: USD(10000),
            budgetSeq: 2n,
          },
        },
      ]);
    spec.givenEvents(history).when(reviewed('approved')).then([]);
  });
});
