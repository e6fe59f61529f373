/**
 * The BFF's HTTP contract as data: each route's method, path, roles, parameters, body and answer,
 * described by the zod schemas the route parses with. Each slice holds its own entries
 * (`<slice>/contract.ts`); this index gathers them in the order the OpenAPI document lists them. The
 * document is generated from it (http/openapi.ts) and the routes are mounted from it
 * (http/endpoint.ts), so the document cannot drift.
 */
import { campaignEndpoints } from './campaigns/contract.js';
import { deadLetterEndpoints } from './dead-letters/contract.js';
import { funnelEndpoints } from './funnel/contract.js';
import { webhookEndpoints } from './webhooks/contract.js';
import { healthEndpoints } from './http/contract.js';
import { operationEndpoints } from './operations/contract.js';
import { paymentEndpoints } from './payments/contract.js';
import { simulationEndpoints } from './simulations/contract.js';
import { linkEndpoints, trackingEndpoints } from './tracking/contract.js';

export const endpoints = {
  ...campaignEndpoints,
  ...funnelEndpoints,
  ...simulationEndpoints,
  ...webhookEndpoints,
  ...trackingEndpoints,
  ...paymentEndpoints,
  ...operationEndpoints,
  ...deadLetterEndpoints,
  ...linkEndpoints,
  ...healthEndpoints,
};

export type Endpoints = typeof endpoints;
