/** Whose coupon codes and customers a caller may list: a brand its own, an influencer its own codes, admin all. */
import type { Request } from 'express';
import type { SelectQueryBuilder } from 'kysely';
import type { Database } from '../db.js';
import { has } from '../http/require-role.js';

/** Codes as the caller may list them: a brand the codes it holds, an influencer the codes made for it (both roles: both). */
export function scopeCouponList<O>(
  req: Request,
  q: SelectQueryBuilder<Database, 'rm_coupons', O>,
): SelectQueryBuilder<Database, 'rm_coupons', O> {
  if (has(req, 'admin')) return q;
  const me = req.caller.sub;
  return q.where((eb) =>
    eb.or([
      ...(has(req, 'brand') ? [eb('brand_id', '=', me)] : []),
      ...(has(req, 'influencer') ? [eb('influencer_id', '=', me)] : []),
    ]),
  );
}

/**
 * Whether the caller reads customers one by one (a brand its own, admin all) or only as an influencer's
 * summary (counts and earnings of the customers bound to it, never who they are).
 */
export const readsCustomers = (req: Request): 'all' | 'own' | 'summary' =>
  has(req, 'admin') ? 'all' : has(req, 'brand') ? 'own' : 'summary';
