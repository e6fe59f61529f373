/** The payments slice's contract: commissions, the influencer's balance and payouts. */
import { z } from 'zod';
import { isValidIBAN, electronicFormatIBAN } from 'ibantools';
import {
  accepted,
  endpoint,
  list,
  MaybeMoney,
  Money,
  MoneyInput,
  nullableString,
  page,
  Paging,
  text,
  type Endpoint,
} from '../http/contract.js';

export const PayoutBody = z
  .object({ amount: MoneyInput, method: z.enum(['paypal', 'bank_transfer']), destination: text(3, 256) })
  .strict()
  .superRefine((p, ctx) => {
    const problem =
      p.method === 'paypal'
        ? z.string().email().safeParse(p.destination).success
          ? undefined
          : 'a PayPal destination is an e-mail address'
        : isValidIBAN(electronicFormatIBAN(p.destination) ?? '')
          ? undefined
          : 'a bank transfer destination is an IBAN with a valid checksum';
    if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['destination'], message: problem });
  })
  .openapi('PayoutRequest');

const COMMISSION_STATUSES = ['pending', 'held', 'approved', 'rejected', 'reversed', 'paid'] as const;

export const CommissionsQuery = Paging.extend({
  campaignId: text(1, 128).optional(),
  influencerId: text(1, 128).optional(),
  status: z.enum(COMMISSION_STATUSES).optional(),
});

export const ReviewParams = z.object({ id: text(1, 128).openapi({ description: 'the commission id' }) });
export const RejectBody = z
  .object({
    reason: text(1, 200)
      .pipe(z.string().trim().min(1))
      .optional()
      .openapi({ description: 'FRAUD (the default) or the brand’s own words' }),
  })
  .strict()
  .openapi('CommissionRejection');

export const CommissionView = z
  .object({
    id: z.string(),
    campaignId: z.string(),
    influencerId: nullableString,
    sourceEventId: z.string(),
    amount: MaybeMoney,
    status: z.enum(COMMISSION_STATUSES),
    reason: z.string().optional(),
    reasons: z
      .array(z.string())
      .optional()
      .openapi({
        description:
          'held (and once decided): why — THRESHOLD and the review signals for the brand and admin; ' +
          'the influencer sees only the category (AMOUNT_REVIEW, RISK_REVIEW)',
      }),
    reviewBy: z.string().optional().openapi({ description: 'held: when it is approved undecided (REVIEW_EXPIRED)' }),
    attribution: z
      .string()
      .optional()
      .openapi({ description: 'the step that attributed the source event: explicit, coupon, customer, click_id, …' }),
    createdAt: z.string(),
  })
  .openapi('Commission');

export const BalanceView = z
  .object({
    balances: z.array(z.object({ currency: z.string(), pending: Money, available: Money, paidOut: Money })),
  })
  .openapi('Balance');

export const PayoutView = z
  .object({
    id: z.string(),
    influencerId: z.string(),
    amount: Money,
    method: z.enum(['paypal', 'bank_transfer']),
    status: z.enum(['requested', 'processing', 'completed', 'failed', 'rejected']),
    reason: z.string().optional(),
    createdAt: z.string(),
    completedAt: z.string().optional(),
  })
  .openapi('Payout');

export const paymentEndpoints = {
  listCommissions: list(
    {
      path: '/api/v1/commissions',
      summary: 'Commissions',
      roles: ['influencer', 'brand', 'admin'],
      scope: 'influencer: its own, on campaigns it accepted; brand: its campaigns’; admin: all',
      query: CommissionsQuery,
    },
    { what: 'commissions', page: page(CommissionView, 'CommissionPage') },
  ),
  approveCommission: endpoint({
    method: 'post',
    path: '/api/v1/commissions/{id}/approve',
    summary: 'Approve a held commission: the ledger is credited',
    roles: ['brand', 'admin'],
    scope: 'the campaign’s owner brand; admin any',
    params: ReviewParams,
    ok: accepted('`id` is the commission id; the operation fails NOT_HELD when it is not held'),
  }),
  rejectCommission: endpoint({
    method: 'post',
    path: '/api/v1/commissions/{id}/reject',
    summary: 'Reject a held commission: its budget is released, nothing is credited',
    roles: ['brand', 'admin'],
    scope: 'the campaign’s owner brand; admin any',
    params: ReviewParams,
    body: RejectBody,
    ok: accepted('`id` is the commission id; the operation fails NOT_HELD when it is not held'),
  }),
  balance: endpoint({
    method: 'get',
    path: '/api/v1/balance',
    summary: 'The influencer’s balance per currency',
    roles: ['influencer'],
    scope: 'the caller’s own',
    ok: { status: 200, description: 'pending, available and paid out, per currency', schema: BalanceView },
  }),
  requestPayout: endpoint({
    method: 'post',
    path: '/api/v1/payouts',
    summary: 'Request a payout',
    roles: ['influencer'],
    scope: 'from the caller’s own available balance',
    body: PayoutBody,
    ok: accepted('`id` is the payout id'),
  }),
  listPayouts: list(
    {
      path: '/api/v1/payouts',
      summary: 'Payouts',
      roles: ['influencer', 'admin'],
      scope: 'influencer: its own; admin: all',
      query: Paging,
    },
    { what: 'payouts', page: page(PayoutView, 'PayoutPage') },
  ),
  getPayout: endpoint({
    method: 'get',
    path: '/api/v1/payouts/{id}',
    summary: 'A payout',
    roles: ['influencer', 'admin'],
    scope: 'influencer: its own (others get 404); admin: all',
    params: z.object({ id: text(1, 128).openapi({ description: 'the payout id' }) }),
    ok: { status: 200, description: 'the payout', schema: PayoutView },
  }),
} satisfies Record<string, Endpoint>;
