/** Request bodies, checked with zod. Money is a decimal string with the currency's own precision. */
import { z } from 'zod';
import { MoneyError, parseAmount, type Money } from '@beacon/money';

export const MoneyInput = z
  .object({ amount: z.string(), currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO-4217 code such as USD') })
  .strict()
  .transform((m, ctx): Money => {
    try {
      return parseAmount(m.amount, m.currency);
    } catch (error) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: (error as MoneyError).message });
      return z.NEVER;
    }
  });

const Rule = z.discriminatedUnion('type', [
  z.object({ event: z.literal('conversion'), type: z.literal('percent'), rate: z.string().regex(/^\d{1,3}(\.\d{1,4})?$/, 'a decimal percentage such as "12.5"') }).strict(),
  z.object({ event: z.enum(['conversion', 'click']), type: z.literal('fixed'), amount: MoneyInput }).strict(),
  z.object({ event: z.literal('impression'), type: z.literal('per_mille'), amount: MoneyInput }).strict(),
]);

export const CreateCampaignBody = z
  .object({
    id: z.string().uuid().optional(),
    name: z.string().trim().min(1).max(200),
    landingUrl: z.string().url().refine((u) => /^https?:\/\//.test(u), 'must be an http(s) URL'),
    budget: MoneyInput,
    commissionRules: z.array(Rule).min(1).max(10),
    visibility: z.enum(['open', 'invite_only']).default('open'),
    attributionWindowDays: z.number().int().min(1).max(365).default(30),
    holdingPeriodDays: z.number().int().min(0).max(365).default(0),
    influencerIds: z.array(z.string().min(1).max(128)).max(1000).default([]),
  })
  .strict()
  .superRefine((c, ctx) => {
    c.commissionRules.forEach((r, i) => {
      if ('amount' in r && r.amount.currency !== c.budget.currency) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['commissionRules', i, 'amount', 'currency'], message: 'must be the budget currency' });
      }
    });
  });

export const InvitationsBody = z.object({ influencerIds: z.array(z.string().min(1).max(128)).min(1).max(1000) }).strict();
export const AcceptBody = z.object({ acceptedTerms: z.literal(true, { errorMap: () => ({ message: 'the terms must be accepted (true)' }) }) }).strict();
export const EvidenceBody = z.object({ type: z.enum(['photo', 'video', 'post', 'story']), url: z.string().url(), description: z.string().max(2000).optional() }).strict();

const iso = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'an ISO-8601 time');

export const TrackingEventBody = z
  .object({
    eventId: z.string().min(1).max(128).optional(),
    type: z.enum(['impression', 'click', 'conversion', 'refund', 'custom']),
    campaignId: z.string().min(1).max(128),
    influencerId: z.string().min(1).max(128).optional(),
    clickId: z.string().min(1).max(128).optional(),
    visitorId: z.string().min(1).max(128),
    userId: z.string().min(1).max(128).optional(),
    occurredAt: iso.optional(),
    value: MoneyInput.optional(),
    orderId: z.string().min(1).max(128).optional(),
    name: z.string().min(1).max(128).optional(),
    properties: z.record(z.unknown()).optional(),
    userAgent: z.string().max(1000).optional(),
    ip: z.string().max(64).optional(),
    referrer: z.string().max(2000).optional(),
  })
  .strict()
  .superRefine((e, ctx) => {
    const need = (field: 'value' | 'orderId' | 'name') => {
      if (e[field] === undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [field], message: `required for ${e.type} events` });
    };
    if (e.type === 'conversion') (need('value'), need('orderId'));
    if (e.type === 'refund') need('orderId');
    if (e.type === 'custom') need('name');
  });
export type TrackingEventInput = z.infer<typeof TrackingEventBody>;

export const PayoutBody = z.object({ amount: MoneyInput, method: z.enum(['paypal', 'bank_transfer']), destination: z.string().min(3).max(256) }).strict();

export const Range = z.object({ from: iso.optional(), to: iso.optional() });
