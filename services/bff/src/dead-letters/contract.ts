/** The dead-letters slice's contract: what the fleet could not handle, for admins. */
import { z } from 'zod';
import { endpoint, type Endpoint } from '../http/contract.js';

export const DeadLettersView = z
  .object({
    topics: z.array(
      z.object({
        topic: z.string(),
        service: z.string(),
        count: z.number().int(),
        latest: z.array(
          z.object({ messageId: z.string(), messageType: z.string(), correlationId: z.string(), seenAt: z.string() }),
        ),
      }),
    ),
  })
  .openapi('DeadLetters');

export const deadLetterEndpoints = {
  deadLetters: endpoint({
    method: 'get',
    path: '/api/v1/admin/dead-letters',
    summary: 'Dead-letter topics: counts and the latest messages',
    roles: ['admin'],
    ok: { status: 200, description: 'one entry per topic and subscription', schema: DeadLettersView },
  }),
} satisfies Record<string, Endpoint>;
