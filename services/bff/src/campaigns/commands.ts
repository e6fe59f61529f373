/**
 * The campaign routes that change something: each checks who may act on the campaign, then sends
 * one command to the campaign service and answers 202 with the operation to follow.
 */
import type { Router } from 'express';
import { acceptCommand, type Publisher } from '../command-gateway.js';
import type { campaignAccess } from './access.js';
import { campaignEndpoints, ruleCommandOf } from './contract.js';
import { mount } from '../http/endpoint.js';
import { stableId } from '../http/idempotency.js';
import { signLink } from '../tracking/links.js';

type Access = ReturnType<typeof campaignAccess>;

export function campaignCommandRoutes(router: Router, publisher: Publisher, access: Access, linkSecret: string): void {
  const { visible, owned, acceptedInfluencer } = access;

  mount(router, campaignEndpoints.createCampaign, async ({ body }, req, res) => {
    const campaignId = body.id ?? stableId(req, 'campaign');
    // The lead rule travels in a field of its own (leadCommission): old readers' RuleEvent has no `lead`.
    const lead = body.commissionRules.find((r) => r.event === 'lead');
    const commissionRules = body.commissionRules.flatMap((r) =>
      r.event === 'lead' ? [] : [{ ...ruleCommandOf(r), event: r.event }],
    );
    const leadCommission = lead && 'amount' in lead ? lead.amount : null;
    const { name, landingUrl, budget, visibility, attributionWindowDays, attributionModel } = body;
    const { holdingPeriodDays, influencerIds } = body;
    const terms = { name, landingUrl, budget, visibility, attributionWindowDays, attributionModel, holdingPeriodDays };
    const review = body.review
      ? {
          thresholdAmount: body.review.thresholdAmount ?? null,
          reviewDays: body.review.reviewDays,
          signals: body.review.signals,
        }
      : null;
    const value = {
      campaignId,
      brandId: req.caller.sub,
      commissionRules,
      leadCommission,
      ...terms,
      influencerIds,
      review,
    };
    return acceptCommand(publisher, req, res, { type: 'campaign.CreateCampaign', key: campaignId, value });
  });

  const statusActions = [
    [campaignEndpoints.pauseCampaign, 'pause'],
    [campaignEndpoints.resumeCampaign, 'resume'],
    [campaignEndpoints.completeCampaign, 'complete'],
  ] as const;
  for (const [e, action] of statusActions) {
    mount(router, e, async ({ params }, req, res) => {
      const c = await owned(req, params.id);
      const value = { campaignId: c.id, requestedBy: req.caller.sub, action };
      return acceptCommand(publisher, req, res, { type: 'campaign.ChangeCampaignStatus', key: c.id, value });
    });
  }

  mount(router, campaignEndpoints.inviteInfluencers, async ({ params, body }, req, res) => {
    const c = await owned(req, params.id);
    const value = { campaignId: c.id, requestedBy: req.caller.sub, influencerIds: body.influencerIds };
    return acceptCommand(publisher, req, res, { type: 'campaign.InviteInfluencers', key: c.id, value });
  });

  mount(router, campaignEndpoints.acceptCampaign, async ({ params, body }, req, res) => {
    const c = await visible(req, params.id);
    const value = { campaignId: c.id, influencerId: req.caller.sub, acceptedTerms: body.acceptedTerms };
    return acceptCommand(publisher, req, res, { type: 'campaign.AcceptCampaign', key: c.id, value });
  });

  mount(router, campaignEndpoints.submitEvidence, async ({ params, body }, req, res) => {
    const c = await acceptedInfluencer(req, params.id);
    const evidenceId = stableId(req, 'evidence');
    const evidence = { type: body.type, url: body.url, description: body.description ?? null };
    const value = { campaignId: c.id, influencerId: req.caller.sub, evidenceId, ...evidence };
    return acceptCommand(publisher, req, res, { type: 'campaign.SubmitEvidence', key: c.id, value, id: evidenceId });
  });

  mount(router, campaignEndpoints.createLink, async ({ params }, req) => {
    const c = await acceptedInfluencer(req, params.id);
    const token = signLink(linkSecret, c.id, req.caller.sub);
    return { token, url: `/c/${token}` };
  });
}
