/**
 * Backtests: a brand (or admin) asks what other terms would have paid over its campaign's retained
 * events. The route checks the campaign is the caller's and queues the run (the worker does it, in
 * worker.ts); reads answer its progress and, once done, the two columns.
 */
import { Router } from 'express';
import type { Kysely, Selectable } from 'kysely';
import { reviveAmounts, toApi, toJsonText } from '@beacon/money';
import { accepted as acceptedAnswer } from '../command-gateway.js';
import type { Database } from '../db.js';
import { mount } from '../http/endpoint.js';
import { stableId } from '../http/idempotency.js';
import { notFound, Problem } from '../http/problems.js';
import { claimOperation } from '../operations/claims.js';
import { ruleCommandOf } from '../campaigns/contract.js';
import type { campaignAccess } from '../campaigns/access.js';
import { simulationEndpoints } from './contract.js';
import type { StoredResult } from './worker.js';

/** Unfinished simulations a brand may have at once: each reads the campaign's whole retained history. */
export const MAX_UNFINISHED_PER_BRAND = 3;
export const SIMULATION_COMMAND = 'bff.RunSimulation';

type Row = Selectable<Database['simulations']>;

function columnView(c: StoredResult['proposed'], currency: string) {
  const money = (minor: string) => toApi({ amountMinor: BigInt(minor), currency });
  return {
    total: money(c.totalMinor),
    byInfluencer: c.byInfluencer.map(([influencerId, minor]) => ({ influencerId, amount: money(minor) })),
    byDay: c.byDay.map(([day, minor]) => ({ day, amount: money(minor) })),
    rejectedByReason: Object.fromEntries(c.rejectedByReason),
    held: { count: c.held.count, amount: money(c.held.amountMinor) },
    reversed: c.reversed,
    budgetExhaustedAt: c.budgetExhaustedAt,
  };
}

export function simulationView(row: Row) {
  const result = row.result as StoredResult | null;
  return {
    id: row.id,
    campaignId: row.campaign_id,
    status: row.status === 'queued' ? ('running' as const) : row.status,
    progress: row.progress,
    from: row.from_at.toISOString(),
    to: row.to_at.toISOString(),
    terms: reviveAmounts<Record<string, unknown>>(row.terms).request,
    ...(result
      ? {
          proposed: columnView(result.proposed, result.currency),
          actual: columnView(result.actual, result.currency),
          events: result.events,
        }
      : {}),
    ...(row.error ? { error: row.error } : {}),
    createdAt: row.created_at.toISOString(),
    completedAt: row.completed_at?.toISOString() ?? null,
  };
}

export function simulationRoutes(db: Kysely<Database>, access: ReturnType<typeof campaignAccess>): Router {
  const router = Router();
  const load = async (campaignId: string, simulationId: string) => {
    const row = await db
      .selectFrom('simulations')
      .selectAll()
      .where('id', '=', simulationId)
      .where('campaign_id', '=', campaignId)
      .executeTakeFirst();
    if (!row) throw notFound('simulation');
    return row;
  };

  mount(router, simulationEndpoints.startSimulation, async ({ params, body }, req, res) => {
    const c = await access.owned(req, params.id);
    const rules = body.commissionRules.map((r) => {
      const rule = ruleCommandOf(r);
      return rule.event === 'conversion' &&
        rule.customerDurationMonths === null &&
        body.customerDurationMonths !== undefined
        ? { ...rule, customerDurationMonths: body.customerDurationMonths }
        : rule;
    });
    const wrong = rules.findIndex((r) => r.amount !== null && r.amount.currency !== c.currency);
    if (wrong >= 0)
      throw new Problem(400, 'Bad Request', 'a rule is not in the campaign’s currency', [
        {
          path: `commissionRules.${wrong}.amount.currency`,
          message: `CURRENCY_MISMATCH: the campaign pays in ${c.currency}`,
        },
      ]);
    const unfinished = await db
      .selectFrom('simulations')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('brand_id', '=', c.brand_id)
      .where('status', 'in', ['queued', 'running'])
      .executeTakeFirstOrThrow();
    const simulationId = stableId(req, 'simulation');
    const correlationId = await claimOperation(
      db,
      { correlationId: req.correlationId, startedBy: req.caller.sub },
      SIMULATION_COMMAND,
    );
    const exists = await db.selectFrom('simulations').select('id').where('id', '=', simulationId).executeTakeFirst();
    if (!exists) {
      if (Number(unfinished.n) >= MAX_UNFINISHED_PER_BRAND)
        throw new Problem(409, 'Conflict', `at most ${MAX_UNFINISHED_PER_BRAND} simulations of a brand run at once`);
      const request = { ...body, commissionRules: body.commissionRules.map(ruleCommandOf) };
      await db
        .insertInto('simulations')
        .values({
          id: simulationId,
          campaign_id: c.id,
          brand_id: c.brand_id,
          requested_by: req.caller.sub,
          correlation_id: correlationId,
          status: 'queued',
          terms: toJsonText({
            rules,
            attributionWindowDays: body.attributionWindowDays,
            attributionModel: body.attributionModel,
            request,
          }),
          from_at: new Date(body.from),
          to_at: new Date(body.to),
          result: null,
          error: null,
          heartbeat_at: null,
          completed_at: null,
        })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
    }
    return acceptedAnswer(res, correlationId, simulationId);
  });

  mount(router, simulationEndpoints.getSimulation, async ({ params }, req) => {
    const c = await access.owned(req, params.id);
    return simulationView(await load(c.id, params.simulationId));
  });

  mount(router, simulationEndpoints.cancelSimulation, async ({ params }, req) => {
    const c = await access.owned(req, params.id);
    const row = await load(c.id, params.simulationId);
    await db.transaction().execute(async (trx) => {
      const cancelled = await trx
        .updateTable('simulations')
        .set({ status: 'cancelled', completed_at: new Date() })
        .where('id', '=', row.id)
        .where('status', 'in', ['queued', 'running'])
        .executeTakeFirst();
      if (Number(cancelled.numUpdatedRows) > 0)
        await trx
          .updateTable('operations')
          .set({ status: 'failed', reason: 'CANCELLED', completed_at: new Date() })
          .where('correlation_id', '=', row.correlation_id)
          .where('status', '=', 'pending')
          .execute();
    });
    return simulationView(await load(c.id, row.id));
  });
  return router;
}
