/**
 * What every slice's contract is made of: the Endpoint shape (a route as data, read by endpoint.ts
 * to mount it and by openapi.ts to document it), the shared views (money, a page, 202 Accepted,
 * problems), the text, time and money inputs every body is built from, paging, and the health routes.
 * Everything that passes these inputs can be stored: text has no NUL and no lone surrogate
 * (PostgreSQL's text and jsonb refuse both), times are strict RFC 3339, money is a decimal string
 * with the currency's precision.
 */
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { parseRfc3339, textProblem } from '@beacon/domain';
import { MoneyError, parseAmount, type Money as MinorMoney } from '@beacon/money';
import type { Role } from './jwt.js';

// The schemas of every slice are also the OpenAPI document's: `.openapi()` names and describes them.
extendZodWithOpenApi(z);

export interface Endpoint {
  method: 'get' | 'post' | 'delete';
  /** OpenAPI style: `/api/v1/campaigns/{id}` */
  path: string;
  summary: string;
  /** Who may call; 'public' needs no token. The roles are checked before anything else (403). */
  roles: readonly Role[] | 'public';
  /** Which of the caller's data the route reaches, for the document. */
  scope?: string;
  params?: z.AnyZodObject;
  query?: z.AnyZodObject;
  body?: z.ZodTypeAny;
  /** What the route parses where it checks the documented body's items one by one (the batch). */
  parseBody?: z.ZodTypeAny;
  /** The answer on success; without a schema the handler writes it itself (a redirect, text). */
  ok: { status: 200 | 201 | 202 | 302; description: string; schema?: z.ZodTypeAny; contentType?: string };
}

export const endpoint = <E extends Endpoint>(e: E): E => e;

// ---------------------------------------------------------------------------------------------
// Inputs.

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

export const MoneyInput = z
  .object({ amount: z.string().max(40), currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO-4217 code such as USD') })
  .strict()
  .transform((m, ctx): MinorMoney => {
    try {
      return parseAmount(m.amount, m.currency);
    } catch (error) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: (error as MoneyError).message });
      return z.NEVER;
    }
  })
  .openapi('Money');

/** An id of anything: 1–128 storable characters. */
export const id = text(1, 128);

export const Range = z.object({ from: time.optional(), to: time.optional() });

/** `limit` (1–500, default 50) and `cursor` (the `nextCursor` of the previous page). */
export const Paging = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(64).optional().openapi({ description: 'nextCursor of the previous page' }),
});

// ---------------------------------------------------------------------------------------------
// Views.

const MoneyShape = z.object({
  amount: z.string().openapi({ example: '12.50', description: 'decimal, the currency’s minor-unit precision' }),
  currency: z.string().openapi({ example: 'USD' }),
});
export const Money = MoneyShape.openapi('MoneyView');

export const nullableString = z.string().nullable();
// Inline, not a $ref: zod-to-openapi 7 writes a nullable $ref as an allOf that typed clients misread.
export const MaybeMoney = MoneyShape.nullable();

export const Accepted = z
  .object({
    id: z.string().openapi({ description: 'the aggregate or entity id the command is about' }),
    correlationId: z.string(),
    status: z.literal('accepted'),
    operation: z.string().openapi({ example: '/api/v1/operations/3f1c…' }),
  })
  .openapi('Accepted');

export const ProblemView = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    correlationId: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .openapi('Problem');

export const page = <T extends z.ZodTypeAny>(item: T, name: string) =>
  z.object({ items: z.array(item), nextCursor: nullableString }).openapi(name);

// ---------------------------------------------------------------------------------------------
// Route shapes.

export const ownerOrAdmin = ['brand', 'admin'] as const;
export const accepted = (description: string) => ({ status: 202 as const, description, schema: Accepted });

/** A paged list: GET with its query (Paging or an extension of it), answering a page of items. */
export const list = <Q extends z.AnyZodObject, S extends z.ZodTypeAny>(
  e: { path: string; summary: string; roles: readonly Role[]; scope: string; query: Q },
  items: { what: string; page: S },
) => endpoint({ method: 'get', ...e, ok: { status: 200, description: `a page of ${items.what}`, schema: items.page } });

const Health = z.object({ status: z.literal('ok') });
const Readiness = z.object({ ready: z.boolean(), checks: z.record(z.string(), z.boolean()) });

export const healthEndpoints = {
  health: endpoint({
    method: 'get',
    path: '/healthz',
    summary: 'Liveness',
    roles: 'public',
    ok: { status: 200, description: 'the process runs', schema: Health },
  }),
  readiness: endpoint({
    method: 'get',
    path: '/readyz',
    summary: 'Readiness: Pulsar and the database reachable (503 otherwise)',
    roles: 'public',
    ok: { status: 200, description: 'ready', schema: Readiness },
  }),
} satisfies Record<string, Endpoint>;
