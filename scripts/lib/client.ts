/**
 * A raw HTTP client for the end-to-end tests, which must also send what the typed client
 * (@beacon/api-client) cannot express: bad bodies, bad tokens, other tenants' ids.
 */
import type { Role } from '@beacon/bff-service/auth';
import { mintDevToken } from '@beacon/bff-service/dev-token';
import type { Schemas } from '@beacon/api-client';

export interface Reply<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

export interface Operation {
  correlationId: string;
  status: 'pending' | 'completed' | 'failed';
  reason?: string;
  steps: Array<{
    messageId: string;
    causationId: string;
    kind: string;
    type: string;
    service: string;
    occurredAt: string;
  }>;
}

export class Client {
  constructor(
    readonly baseUrl: string,
    readonly token?: string,
  ) {}

  static async as(baseUrl: string, sub: string, ...roles: Role[]): Promise<Client> {
    return new Client(baseUrl, await mintDevToken({ sub, roles }));
  }

  /** An ingest client writing for one brand's campaigns. */
  static async ingestFor(baseUrl: string, brand: string, sub = `ingest-${brand}`): Promise<Client> {
    return new Client(baseUrl, await mintDevToken({ sub, roles: ['ingest'], brand }));
  }

  async request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply<T>> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      redirect: 'manual',
      headers: {
        ...(this.token ? { Authorization: `Bearer ${this.token}` } : {}),
        ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON (a redirect, the docs page)
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  }

  get<T = unknown>(path: string) {
    return this.request<T>('GET', path);
  }

  post<T = unknown>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('POST', path, body ?? {}, headers);
  }

  /** Posts a command, expects 202, waits for its operation to settle; returns it with the wall time. */
  async command(
    path: string,
    body?: unknown,
    timeoutMs = 60_000,
  ): Promise<{ id: string; operation: Operation; ms: number }> {
    const reply = await this.post<Schemas['Accepted']>(path, body);
    if (reply.status !== 202) throw new Error(`POST ${path} → ${reply.status} ${JSON.stringify(reply.body)}`);
    const acceptedAt = performance.now();
    const operation = await this.settle(reply.body.correlationId, timeoutMs);
    return { id: reply.body.id, operation, ms: performance.now() - acceptedAt };
  }

  async settle(correlationId: string, timeoutMs = 60_000): Promise<Operation> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const op = await this.get<Operation>(`/api/v1/operations/${correlationId}`);
      if (op.status === 200 && op.body.status !== 'pending') return op.body;
      if (Date.now() > deadline)
        throw new Error(`operation ${correlationId} still ${op.body?.status ?? op.status} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Polls a GET until `check` accepts its body. */
  async until<T = unknown>(path: string, check: (body: T) => boolean, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: Reply<T> | undefined;
    for (;;) {
      last = await this.get<T>(path);
      if (last.status === 200 && check(last.body)) return last.body;
      if (Date.now() > deadline)
        throw new Error(
          `GET ${path} did not reach the expected state in ${timeoutMs} ms; ` +
            `last: ${last.status} ${JSON.stringify(last.body).slice(0, 800)}`,
        );
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}
