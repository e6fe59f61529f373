/** The simulations slice's contract: backtests of commission terms over a campaign's retained history. */
import { z } from 'zod';
import { commissionRuleProblem, MAX_CUSTOMER_DURATION_MONTHS } from '@beacon/domain';
import {
  accepted,
  endpoint,
  id,
  Money,
  nullableString,
  ownerOrAdmin,
  text,
  time,
  type Endpoint,
} from '../http/contract.js';
import { Rule, ruleCommandOf } from '../campaigns/contract.js';

/** The longest range a simulation covers (the topics keep 90 days by default; a year is the most a window reaches). */
export const MAX_SIMULATION_DAYS = 366;

export const SimulationBody = z
  .object({
    commissionRules: z.array(Rule).min(1).max(10),
    attributionWindowDays: z.number().int().min(1).max(365).optional(),
    attributionModel: z.enum(['last_click', 'first_click']).optional(),
    customerDurationMonths: z
      .number()
      .int()
      .min(0)
      .max(MAX_CUSTOMER_DURATION_MONTHS)
      .optional()
      .openapi({ description: 'for conversion rules that do not set their own' }),
    from: time,
    to: time,
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.from >= b.to) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['to'], message: 'must be after from' });
    else if (Date.parse(b.to) - Date.parse(b.from) > MAX_SIMULATION_DAYS * 86_400_000)
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['to'],
        message: `at most ${MAX_SIMULATION_DAYS} days after from`,
      });
    b.commissionRules.forEach((r, i) => {
      // The campaign's currency is checked by the route (it knows the campaign); the shape here.
      const problem = commissionRuleProblem(ruleCommandOf(r), 'amount' in r ? r.amount.currency : 'USD');
      if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['commissionRules', i], message: problem });
    });
  })
  .openapi('SimulationRequest');

const Column = z
  .object({
    total: Money,
    byInfluencer: z.array(z.object({ influencerId: z.string(), amount: Money })),
    byDay: z.array(z.object({ day: z.string().openapi({ example: '2026-01-01' }), amount: Money })),
    rejectedByReason: z.record(z.string(), z.number().int()),
    held: z.object({ count: z.number().int(), amount: Money }),
    reversed: z.number().int(),
    budgetExhaustedAt: nullableString.openapi({
      description: 'when the source event that spent the last of the budget happened',
    }),
  })
  .openapi('SimulationColumn');

export const SimulationView = z
  .object({
    id: z.string(),
    campaignId: z.string(),
    status: z.enum(['running', 'completed', 'failed', 'cancelled']),
    progress: z.number().openapi({ description: '0 to 1' }),
    from: z.string(),
    to: z.string(),
    terms: z.unknown().openapi({ description: 'the request’s terms, as given' }),
    proposed: Column.optional().openapi({ description: 'what the proposed terms would have paid (completed only)' }),
    actual: Column.optional().openapi({ description: 'what was paid over the same events (completed only)' }),
    events: z.number().int().optional().openapi({ description: 'tracking events decided again' }),
    error: z.string().optional(),
    createdAt: z.string(),
    completedAt: nullableString,
  })
  .openapi('Simulation');

const Params = z.object({ id: text(1, 128).openapi({ description: 'the campaign id' }) });
const SimulationParams = Params.extend({ simulationId: id });

export const simulationEndpoints = {
  startSimulation: endpoint({
    method: 'post',
    path: '/api/v1/campaigns/{id}/simulations',
    summary: 'Backtest commission terms over the campaign’s retained events',
    roles: ownerOrAdmin,
    scope: 'the owner brand (others get 404), admin',
    params: Params,
    body: SimulationBody,
    ok: accepted('`id` is the simulation id; the operation completes when it does'),
  }),
  getSimulation: endpoint({
    method: 'get',
    path: '/api/v1/campaigns/{id}/simulations/{simulationId}',
    summary: 'A simulation: its progress, and once completed the proposed and actual columns',
    roles: ownerOrAdmin,
    scope: 'the owner brand (others get 404), admin',
    params: SimulationParams,
    ok: { status: 200, description: 'the simulation', schema: SimulationView },
  }),
  cancelSimulation: endpoint({
    method: 'post',
    path: '/api/v1/campaigns/{id}/simulations/{simulationId}/cancel',
    summary: 'Cancel a running simulation (a finished one is answered as it is)',
    roles: ownerOrAdmin,
    scope: 'the owner brand (others get 404), admin',
    params: SimulationParams,
    ok: { status: 200, description: 'the simulation', schema: SimulationView },
  }),
} satisfies Record<string, Endpoint>;
