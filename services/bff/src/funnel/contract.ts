/**
 * The funnel slice's HTTP contract: a brand's coupon codes (created and deactivated as campaign
 * commands) and its customers, each bound to the influencer whose lead or sale brought it.
 */
import { z } from 'zod';
import { COUPON_CODE } from '@beacon/domain';
import { accepted, endpoint, id, Money, ownerOrAdmin, page, Paging, text, type Endpoint } from '../http/contract.js';

export const CouponBody = z
  .object({
    code: z.string().regex(COUPON_CODE, '4 to 32 letters, digits, _ or -'),
    influencerId: id,
  })
  .strict();

const CampaignParams = z.object({ id: text(1, 128).openapi({ description: 'the campaign id' }) });
const CouponParams = CampaignParams.extend({ code: z.string().regex(COUPON_CODE, 'not a coupon code') });

/** Keyset cursors over (brand, code) and (brand, customer): longer than a seq's. */
const PairCursor = z.string().max(800).optional().openapi({ description: 'nextCursor of the previous page' });
export const CouponsQuery = Paging.extend({ campaignId: text(1, 128).optional(), cursor: PairCursor });
export const CustomersQuery = Paging.extend({
  campaignId: text(1, 128).optional(),
  influencerId: text(1, 128).optional(),
  cursor: PairCursor,
});

export const CouponView = z
  .object({
    code: z.string(),
    campaignId: z.string(),
    influencerId: z.string(),
    status: z.enum(['active', 'deactivated']),
    createdAt: z.string(),
  })
  .openapi('CouponView');

/** A brand's customer: who it is (the brand's own id), whose it is, and what it bought. */
export const CustomerView = z
  .object({
    customerId: z.string(),
    campaignId: z.string(),
    influencerId: z.string(),
    attribution: z.string().openapi({ description: 'the step that bound the customer' }),
    boundAt: z.string(),
    sales: z.number().int(),
    revenue: Money,
  })
  .openapi('CustomerView');

/** What an influencer sees of its customers: counts and earnings per campaign, never who they are. */
export const CustomerSummaryView = z
  .object({
    campaignId: z.string(),
    influencerId: z.string(),
    customers: z.number().int(),
    sales: z.number().int(),
    revenue: Money,
    earnings: Money.openapi({ description: 'commissions approved or paid on these customers’ leads and sales' }),
  })
  .openapi('CustomerSummaryView');

export const funnelEndpoints = {
  createCoupon: endpoint({
    method: 'post',
    path: '/api/v1/campaigns/{id}/coupons',
    summary: 'A coupon code for an influencer who accepted the campaign',
    roles: ownerOrAdmin,
    scope: 'the owner brand (others get 404), admin; codes are unique per brand ignoring case (CODE_TAKEN)',
    params: CampaignParams,
    body: CouponBody,
    ok: accepted('`id` is the code'),
  }),
  deactivateCoupon: endpoint({
    method: 'post',
    path: '/api/v1/campaigns/{id}/coupons/{code}/deactivate',
    summary: 'Stop a coupon code attributing',
    roles: ownerOrAdmin,
    scope: 'the owner brand (others get 404), admin',
    params: CouponParams,
    ok: accepted('`id` is the code'),
  }),
  listCoupons: endpoint({
    method: 'get',
    path: '/api/v1/coupons',
    summary: 'Coupon codes',
    roles: ['brand', 'influencer', 'admin'],
    scope: 'brand: its codes; influencer: its own codes; admin: all',
    query: CouponsQuery,
    ok: { status: 200, description: 'a page of codes', schema: page(CouponView, 'CouponPage') },
  }),
  listCustomers: endpoint({
    method: 'get',
    path: '/api/v1/customers',
    summary: 'Customers and their sales',
    roles: ['brand', 'influencer', 'admin'],
    scope:
      'brand: its customers (items are CustomerView); admin: all; influencer: per campaign, the counts and ' +
      'earnings of its own customers (items are CustomerSummaryView), never a customer id',
    query: CustomersQuery,
    ok: {
      status: 200,
      description: 'a page of customers, or an influencer’s summaries (nextCursor null)',
      schema: page(z.union([CustomerView, CustomerSummaryView]), 'CustomerPage'),
    },
  }),
} satisfies Record<string, Endpoint>;
