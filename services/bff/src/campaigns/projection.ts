/** The campaigns read model (rm_campaigns, rm_campaign_influencers), fed by campaign events. */
import { toJsonText } from '@beacon/money';
import { couponKey } from '@beacon/domain';
import type { CampaignCreated, MessageContext } from '@beacon/contracts';
import type { Database } from '../db.js';
import { lastBy, type ManyProjections, type Projections } from '../projection-kit.js';

/** A reservation or a release: the campaign's spent budget as the campaign service now counts it. */
async function spent({
  trx,
  message: b,
  envelope,
}: MessageContext<Database, { campaignId: string; spent: { amountMinor: bigint } }>) {
  await trx
    .updateTable('rm_campaigns')
    .set({ spent_minor: b.spent.amountMinor, updated_at: new Date(envelope.occurredAt) })
    .where('id', '=', b.campaignId)
    .execute();
}

/** Influencers invited to a campaign (kept as they are when already there: accepted stays accepted). */
async function invite(trx: MessageContext<Database>['trx'], campaignId: string, influencerIds: string[]) {
  if (influencerIds.length === 0) return;
  await trx
    .insertInto('rm_campaign_influencers')
    .values(
      influencerIds.map((influencerId) => ({
        campaign_id: campaignId,
        influencer_id: influencerId,
        status: 'invited',
      })),
    )
    .onConflict((oc) => oc.doNothing())
    .execute();
}

async function campaignCreated({ trx, message: c, envelope }: MessageContext<Database, CampaignCreated>) {
  const at = new Date(envelope.occurredAt);
  await trx
    .insertInto('rm_campaigns')
    .values({
      id: c.campaignId,
      brand_id: c.brandId,
      name: c.name,
      landing_url: c.landingUrl,
      status: c.status,
      budget_minor: c.budget.amountMinor,
      currency: c.budget.currency,
      rules: toJsonText([
        ...c.commissionRules,
        ...(c.leadCommission ? [{ event: 'lead', type: 'fixed', rate: null, amount: c.leadCommission }] : []),
      ]),
      visibility: c.visibility,
      attribution_window_days: c.attributionWindowDays,
      attribution_model: c.attributionModel,
      holding_period_days: c.holdingPeriodDays,
      review: c.review ? toJsonText(c.review) : null,
      created_at: at,
      updated_at: at,
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
  await invite(trx, c.campaignId, c.invitedInfluencerIds);
}

export const campaignProjections: Projections = {
  'campaign.CampaignCreated': campaignCreated,
  'campaign.CouponCreated': async ({ trx, message: c, envelope }) => {
    await trx
      .insertInto('rm_coupons')
      .values({
        brand_id: c.brandId,
        code_key: couponKey(c.code),
        code: c.code,
        campaign_id: c.campaignId,
        influencer_id: c.influencerId,
        active: true,
        created_at: new Date(envelope.occurredAt),
      })
      .onConflict((oc) => oc.columns(['brand_id', 'code_key']).doNothing())
      .execute();
  },
  'campaign.CouponDeactivated': async ({ trx, message: c }) => {
    await trx
      .updateTable('rm_coupons')
      .set({ active: false })
      .where('brand_id', '=', c.brandId)
      .where('code_key', '=', couponKey(c.code))
      .execute();
  },
  'campaign.CampaignStatusChanged': async ({ trx, message: c, envelope }) => {
    await trx
      .updateTable('rm_campaigns')
      .set({ status: c.to, updated_at: new Date(envelope.occurredAt) })
      .where('id', '=', c.campaignId)
      .execute();
  },
  'campaign.InfluencersInvited': async ({ trx, message: c }) => {
    await invite(trx, c.campaignId, c.influencerIds);
  },
  'campaign.InfluencerAccepted': async ({ trx, message: c }) => {
    await trx
      .insertInto('rm_campaign_influencers')
      .values({ campaign_id: c.campaignId, influencer_id: c.influencerId, status: 'accepted' })
      .onConflict((oc) => oc.columns(['campaign_id', 'influencer_id']).doUpdateSet({ status: 'accepted' }))
      .execute();
  },
  'campaign.BudgetReserved': (ctx) => spent(ctx),
  'campaign.BudgetReleased': (ctx) => spent(ctx),
};

export const campaignManyProjections: ManyProjections = {
  'campaign.BudgetReserved': async (items) => {
    // Each sets the campaign's spent budget as the campaign service counts it: the last one stands.
    for (const ctx of lastBy(items, (i) => i.message.campaignId)) await spent(ctx);
  },
};
