/**
 * A typed client for the BFF: openapi-fetch over the types that openapi-typescript generates from
 * the BFF's own document (`pnpm openapi:gen`). A change in the contract breaks the build of every
 * caller (the console, the demo, the replay command), not the user.
 */
import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from './schema.js';

export type { paths, components };
export type Schemas = components['schemas'];
export type BeaconClient = Client<paths>;

export interface ClientOptions {
  /** The BFF's origin; '' for the page's own origin (the console). */
  baseUrl: string;
  token?: string;
  fetch?: typeof globalThis.fetch;
}

export function createBeaconClient(options: ClientOptions): BeaconClient {
  return createClient<paths>({
    baseUrl: options.baseUrl,
    headers: options.token ? { Authorization: `Bearer ${options.token}` } : {},
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}

/** A problem+json answer, thrown by `must` so that callers handle success only. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Partial<Schemas['Problem']>,
  ) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
  }
}

/** The data of a successful call, or an ApiError with the problem the BFF answered. */
export async function must<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (response.ok && data !== undefined) return data;
  const problem = (error && typeof error === 'object' ? error : { title: response.statusText }) as Partial<
    Schemas['Problem']
  >;
  throw new ApiError(response.status, problem);
}
