/** Who may see or act on a campaign, from the BFF's read model; 404 where existence must not leak. */
import type { Request } from 'express';
import type { Kysely } from 'kysely';
import type { CampaignRow } from './routes.js';
import type { Database } from '../db.js';
import { forbidden, notFound } from '../http/problems.js';
import { has } from '../http/require-role.js';

export function campaignAccess(db: Kysely<Database>) {
  async function load(id: string) {
    return db.selectFrom('rm_campaigns').selectAll().where('id', '=', id).executeTakeFirst() as Promise<
      CampaignRow | undefined
    >;
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
