/**
 * Who may see or act on a campaign, from the BFF's read model: one campaign (404 where existence must
 * not leak) and lists alike.
 */
import type { Request } from 'express';
import type { Kysely, Selectable, SelectQueryBuilder } from 'kysely';
import type { Database } from '../db.js';
import { forbidden, notFound } from '../http/problems.js';
import { has } from '../http/require-role.js';
import type { CampaignAction } from './contract.js';

export type CampaignRow = Selectable<Database['rm_campaigns']>;

/** Who reads a campaign: its owner (or admin) sees everything; anyone else is an influencer who sees the terms. */
export type Viewer = { owner: true } | { owner: false; influencerId: string };

export const viewerOf = (req: Request, c: CampaignRow): Viewer =>
  has(req, 'admin') || (has(req, 'brand') && c.brand_id === req.caller.sub)
    ? { owner: true }
    : { owner: false, influencerId: req.caller.sub };

/**
 * What the caller may do with a campaign now: its owner (or admin) pause an active one, resume a paused
 * one, complete, invite to or make coupon codes on one not completed, and read its stats; an influencer
 * accept an invitation, or join an active campaign it may see; a member that accepted make tracking
 * links. The commands
 * check the same again: this is what a client offers, not what guards.
 */
export function allowedActionsOf(req: Request, c: CampaignRow, membership: string | undefined): CampaignAction[] {
  const actions: CampaignAction[] = [];
  if (viewerOf(req, c).owner) {
    if (c.status === 'active') actions.push('pause');
    if (c.status === 'paused') actions.push('resume');
    if (c.status !== 'completed') actions.push('complete', 'invite', 'createCoupon');
    actions.push('viewStats');
  }
  if (has(req, 'influencer')) {
    if (membership === 'invited' || (membership === undefined && c.status === 'active')) actions.push('accept');
    if (membership === 'accepted') actions.push('createLink');
  }
  return actions;
}

/**
 * A list of campaigns as the caller may see it: a brand its own; an influencer the open ones and those
 * it is invited to or accepted (a caller with both roles, both); admin all.
 */
export function scopeCampaignList<O>(
  db: Kysely<Database>,
  req: Request,
  q: SelectQueryBuilder<Database, 'rm_campaigns', O>,
): SelectQueryBuilder<Database, 'rm_campaigns', O> {
  if (has(req, 'admin')) return q;
  const me = req.caller.sub;
  if (has(req, 'brand') && !has(req, 'influencer')) return q.where('brand_id', '=', me);
  const invited = db.selectFrom('rm_campaign_influencers').select('campaign_id').where('influencer_id', '=', me);
  return q.where((eb) =>
    eb.or([
      eb('visibility', '=', 'open'),
      eb('id', 'in', invited),
      ...(has(req, 'brand') ? [eb('brand_id', '=', me)] : []),
    ]),
  );
}

export function campaignAccess(db: Kysely<Database>) {
  async function load(id: string) {
    return db.selectFrom('rm_campaigns').selectAll().where('id', '=', id).executeTakeFirst();
  }
  async function membership(campaignId: string, influencerId: string) {
    return (
      await db
        .selectFrom('rm_campaign_influencers')
        .select('status')
        .where('campaign_id', '=', campaignId)
        .where('influencer_id', '=', influencerId)
        .executeTakeFirst()
    )?.status;
  }
  /** The campaign if the caller may see it; 404 otherwise, so existence does not leak. */
  async function visible(req: Request, id: string): Promise<CampaignRow> {
    const c = await load(id);
    if (!c) throw notFound('campaign');
    if (has(req, 'admin') || (has(req, 'brand') && c.brand_id === req.caller.sub)) return c;
    if (has(req, 'influencer') && (c.visibility === 'open' || (await membership(c.id, req.caller.sub)))) return c;
    throw notFound('campaign');
  }
  /** The campaign if the caller owns it (admin: any); 404 otherwise. */
  async function owned(req: Request, id: string): Promise<CampaignRow> {
    const c = await load(id);
    if (!c || (!has(req, 'admin') && c.brand_id !== req.caller.sub)) throw notFound('campaign');
    return c;
  }
  async function acceptedInfluencer(req: Request, id: string): Promise<CampaignRow> {
    const c = await visible(req, id);
    if ((await membership(c.id, req.caller.sub)) !== 'accepted') {
      throw forbidden('only influencers who accepted this campaign may do this');
    }
    return c;
  }
  return { visible, owned, acceptedInfluencer };
}
