/**
 * Request bodies, checked with zod. Everything that passes here can be stored: text has no NUL
 * and no lone surrogate (PostgreSQL's text and jsonb refuse both), times are strict RFC 3339,
 * free JSON is bounded in depth and size. Money is a decimal string with the currency's precision.
 */
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { isValidIBAN, electronicFormatIBAN } from 'ibantools';
import { commissionRuleProblem, jsonProblem, parseRfc3339, textProblem } from '@beacon/domain';
import { MoneyError, parseAmount, type Money } from '@beacon/money';

// The schemas below are also the OpenAPI document's (contract.ts): `.openapi()` names and describes them.
extendZodWithOpenApi(z);

/** A string PostgreSQL can store, with length bounds. */
export const text = (min: number, max: number) =>
  z
    .string()
    .min(min)
    .max(max)
    .superRefine((value, ctx) => {
      const problem = textProblem(value);
      if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
    });

export const httpUrl = text(1, 2000)
  .pipe(z.string().url())
  .refine((u) => /^https?:\/\//i.test(u), 'must be an http(s) URL');

export const time = z
  .string()
  .max(40)
  .transform((value, ctx) => {
    const iso = parseRfc3339(value);
    if (!iso) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'an RFC 3339 time such as "2026-01-01T12:00:00Z"' });
      return z.NEVER;
    }
    return iso;
  });

export const MAX_PROPERTIES_BYTES = 32 * 1024;

/** Free JSON the database can store, bounded in size. */
function propertiesProblem(value: unknown): string | undefined {
  return (
    jsonProblem(value) ??
    (Buffer.byteLength(JSON.stringify(value ?? null)) > MAX_PROPERTIES_BYTES
      ? `must be at most ${MAX_PROPERTIES_BYTES} bytes as JSON`
      : undefined)
  );
}

export const MoneyInput = z
  .object({ amount: z.string().max(40), currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO-4217 code such as USD') })
  .strict()
  .transform((m, ctx): Money => {
    try {
      return parseAmount(m.amount, m.currency);
    } catch (error) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: (error as MoneyError).message });
      return z.NEVER;
    }
  })
  .openapi('Money');

const PercentRate = z.string().max(20);

const Rule = z
  .discriminatedUnion('type', [
    z.object({ event: z.literal('conversion'), type: z.literal('percent'), rate: PercentRate }).strict(),
    z.object({ event: z.enum(['conversion', 'click']), type: z.literal('fixed'), amount: MoneyInput }).strict(),
    z.object({ event: z.literal('impression'), type: z.literal('per_mille'), amount: MoneyInput }).strict(),
  ])
  .openapi('CommissionRule');

const id = text(1, 128);

export const CreateCampaignBody = z
  .object({
    id: z.string().uuid().optional(),
    name: text(1, 200).pipe(z.string().trim().min(1)),
    landingUrl: httpUrl,
    budget: MoneyInput,
    commissionRules: z.array(Rule).min(1).max(10),
    visibility: z.enum(['open', 'invite_only']).default('open'),
    attributionWindowDays: z.number().int().min(1).max(365).default(30),
    holdingPeriodDays: z.number().int().min(0).max(365).default(0),
    influencerIds: z.array(id).max(1000).default([]),
  })
  .strict()
  .superRefine((c, ctx) => {
    // The campaign service's own rule check (@beacon/domain), run here too so a bad rule is a 400.
    c.commissionRules.forEach((r, i) => {
      const rule = {
        event: r.event,
        type: r.type,
        rate: 'rate' in r ? r.rate : null,
        amount: 'amount' in r ? r.amount : null,
      };
      const problem = commissionRuleProblem(rule, c.budget.currency);
      const field = problem?.startsWith('CURRENCY_MISMATCH')
        ? ['amount', 'currency']
        : r.type === 'percent'
          ? ['rate']
          : [];
      const path = ['commissionRules', i, ...field];
      if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, path, message: problem });
    });
  })
  .openapi('CreateCampaign');

export const InvitationsBody = z.object({ influencerIds: z.array(id).min(1).max(1000) }).strict();
export const AcceptBody = z
  .object({ acceptedTerms: z.literal(true, { errorMap: () => ({ message: 'the terms must be accepted (true)' }) }) })
  .strict();
export const EvidenceBody = z
  .object({ type: z.enum(['photo', 'video', 'post', 'story']), url: httpUrl, description: text(0, 2000).optional() })
  .strict();

export const TrackingEventBody = z
  .object({
    eventId: id.optional(),
    type: z.enum(['impression', 'click', 'conversion', 'refund', 'custom']),
    campaignId: id,
    influencerId: id.optional(),
    clickId: id.optional(),
    visitorId: id,
    userId: id.optional(),
    occurredAt: time.optional(),
    value: MoneyInput.optional(),
    orderId: id.optional(),
    name: id.optional(),
    // Any JSON: a non-object is stored flagged MALFORMED_PROPERTIES (domain.md), not refused.
    properties: z.unknown().superRefine((value, ctx) => {
      const problem = propertiesProblem(value);
      if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
    }),
    userAgent: text(0, 1000).optional(),
    ip: text(0, 64).optional(),
    referrer: text(0, 2000).optional(),
  })
  .strict()
  .superRefine((e, ctx) => {
    const need = (field: 'value' | 'orderId' | 'name') => {
      if (e[field] === undefined)
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: [field], message: `required for ${e.type} events` });
    };
    if (e.type === 'conversion') {
      need('value');
      need('orderId');
    }
    if (e.type === 'refund') need('orderId');
    if (e.type === 'custom') need('name');
  })
  .openapi('TrackingEvent');
export type TrackingEventInput = z.infer<typeof TrackingEventBody>;

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

export const Range = z.object({ from: time.optional(), to: time.optional() });

/** A campaign's stats: a time range, and a page of its influencers (limit 1–500, default 50). */
export const StatsQuery = Range.extend({
  influencersLimit: z.coerce.number().int().min(1).max(500).default(50),
  influencersCursor: z.string().max(2000).optional(),
});
