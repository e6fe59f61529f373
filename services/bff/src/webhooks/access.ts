/** Whose webhook endpoints a caller may see and act on: its own (by role and sub), admin all; others 404. */
import type { Request } from 'express';
import type { Kysely, Selectable, SelectQueryBuilder } from 'kysely';
import type { Database } from '../db.js';
import { notFound } from '../http/problems.js';
import { has } from '../http/require-role.js';

export type EndpointRow = Selectable<Database['rm_webhook_endpoints']>;

/** The role an endpoint is registered under: a caller holding both registers as the brand. */
export const ownerRoleOf = (req: Request): 'brand' | 'influencer' => (has(req, 'brand') ? 'brand' : 'influencer');

const owns = (req: Request, e: { owner_role: string; owner_id: string }) =>
  e.owner_id === req.caller.sub && (e.owner_role === 'brand' ? has(req, 'brand') : has(req, 'influencer'));

export function scopeEndpoints<O>(
  req: Request,
  q: SelectQueryBuilder<Database, 'rm_webhook_endpoints', O>,
): SelectQueryBuilder<Database, 'rm_webhook_endpoints', O> {
  const live = q.where('status', '<>', 'deleted');
  if (has(req, 'admin')) return live;
  const roles = [...(has(req, 'brand') ? ['brand'] : []), ...(has(req, 'influencer') ? ['influencer'] : [])];
  return live.where('owner_id', '=', req.caller.sub).where('owner_role', 'in', roles.length ? roles : ['none']);
}

/** The endpoint, when the caller owns it (or is admin); 404 otherwise, so existence does not leak. */
export async function ownedEndpoint(db: Kysely<Database>, req: Request, id: string): Promise<EndpointRow> {
  const e = await db
    .selectFrom('rm_webhook_endpoints')
    .selectAll()
    .where('id', '=', id)
    .where('status', '<>', 'deleted')
    .executeTakeFirst();
  if (!e || !(has(req, 'admin') || owns(req, e))) throw notFound(`webhook ${id}`);
  return e;
}
