/** The operations slice's contract: a flow's outcome and its timeline. */
import { z } from 'zod';
import { endpoint, text, type Endpoint } from '../http/contract.js';

export const OperationView = z
  .object({
    correlationId: z.string(),
    status: z.enum(['pending', 'completed', 'failed']),
    reason: z.string().optional(),
    steps: z.array(
      z.object({
        messageId: z.string(),
        causationId: z.string(),
        kind: z.enum(['command', 'event']),
        type: z.string(),
        service: z.string(),
        occurredAt: z.string(),
        depth: z.number().int().openapi({ description: 'how many causes above it in this flow: 0 for the first' }),
      }),
    ),
  })
  .openapi('Operation');

export const operationEndpoints = {
  getOperation: endpoint({
    method: 'get',
    path: '/api/v1/operations/{correlationId}',
    summary: 'A flow: its outcome and every message it caused, in causal order',
    roles: ['admin', 'brand', 'influencer', 'ingest'],
    scope: 'the caller that started it (others get 404), admin',
    params: z.object({ correlationId: text(1, 128) }),
    ok: { status: 200, description: 'the operation', schema: OperationView },
  }),
} satisfies Record<string, Endpoint>;
