/** GET /operations/{correlationId}: a flow's outcome and timeline, for the caller that started it (admin: any). */
import { Router } from 'express';
import type { Kysely } from 'kysely';
import type { Database } from '../db.js';
import { mount } from '../http/endpoint.js';
import { principalOf } from '../http/jwt.js';
import { notFound } from '../http/problems.js';
import { has } from '../http/require-role.js';
import { TRACKING_COMMAND } from './claims.js';
import { operationEndpoints } from './contract.js';
import { causalOrder, trackingSteps, type Step } from './timeline.js';

export function operationRoutes(db: Kysely<Database>): Router {
  const router = Router();
  mount(router, operationEndpoints.getOperation, async ({ params }, req) => {
    const id = params.correlationId;
    const op = await db.selectFrom('operations').selectAll().where('correlation_id', '=', id).executeTakeFirst();
    if (!op || (!has(req, 'admin') && op.started_by !== principalOf(req.caller))) throw notFound('operation');
    const steps = (await db.selectFrom('operation_steps').selectAll().where('correlation_id', '=', id).execute()).map(
      (s) => ({
        messageId: s.message_id,
        causationId: s.causation_id,
        kind: s.kind as Step['kind'],
        type: s.type,
        service: s.service,
        occurredAt: s.occurred_at,
      }),
    );
    if (op.command_type === TRACKING_COMMAND) steps.push(...(await trackingSteps(db, id, op.created_at)));
    return {
      correlationId: id,
      status: op.status as 'pending' | 'completed' | 'failed',
      ...(op.reason ? { reason: op.reason } : {}),
      steps: causalOrder(steps),
    };
  });
  return router;
}
