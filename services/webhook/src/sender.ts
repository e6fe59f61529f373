/**
 * One HTTP attempt of a delivery: POST the body with its headers, no redirect followed, at most
 * `timeoutMs` in all, at most `maxResponseBytes` of the answer read. The connection's address is
 * checked where the connection is made (undici's `connect.lookup`), on every attempt, so what a name
 * resolves to now is what is judged.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { Agent, request } from 'undici';
import { refusedRange, webhookUrlProblem, type DestinationPolicy } from '@beacon/domain';

export interface SendOptions extends DestinationPolicy {
  timeoutMs: number;
  maxResponseBytes: number;
}

export interface Attempt {
  /** the answer's status code; absent when no answer came (refused, unreachable, timed out) */
  statusCode?: number;
  ok: boolean;
  latencyMs: number;
  /** the first bytes of the answer, or why there was none */
  snippet: string;
  /** why the attempt failed without an answer */
  error?: string;
}

export class DestinationRefused extends Error {}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A lookup that resolves every address of a name and refuses them all if any is not public unicast. */
function guardedLookup(hostname: string, options: { all?: boolean }, callback: LookupCallback): void {
  dnsLookup(hostname, { all: true }, (error, addresses) => {
    if (error) return callback(error, []);
    const refused = addresses.map((a) => [a.address, refusedRange(a.address)] as const).find(([, range]) => range);
    if (refused)
      return callback(new DestinationRefused(`${hostname} resolves to ${refused[0]}, a ${refused[1]} address`), []);
    if (options.all) return callback(null, addresses);
    const first = addresses[0];
    if (!first) return callback(new DestinationRefused(`${hostname} resolves to no address`), []);
    callback(null, first.address, first.family);
  });
}

/** Connection pools: one that checks addresses (everywhere but development) and one that does not. */
const agents = {
  guarded: new Agent({ connect: { lookup: guardedLookup as never }, keepAliveTimeout: 10_000 }),
  open: new Agent({ keepAliveTimeout: 10_000 }),
};

export async function send(
  url: string,
  headers: Record<string, string>,
  body: string,
  options: SendOptions,
): Promise<Attempt> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const problem = webhookUrlProblem(url, options);
  if (problem) return { ok: false, latencyMs: 0, snippet: '', error: `refused: ${problem}` };
  const signal = AbortSignal.timeout(options.timeoutMs);
  try {
    const answer = await request(url, {
      method: 'POST',
      headers,
      body,
      signal,
      dispatcher: options.allowPrivate ? agents.open : agents.guarded,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
    const snippet = await readAtMost(answer.body, options.maxResponseBytes);
    const ok = answer.statusCode >= 200 && answer.statusCode < 300;
    return { statusCode: answer.statusCode, ok, latencyMs: elapsed(), snippet };
  } catch (error) {
    return { ok: false, latencyMs: elapsed(), snippet: '', error: describe(error, signal, options.timeoutMs) };
  }
}

/** Reads up to `max` bytes of a body as text, then drops the rest of the connection's answer. */
async function readAtMost(body: AsyncIterable<Buffer> & { destroy(): void }, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= max) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, max).toString('utf8');
}

function describe(error: unknown, signal: AbortSignal, timeoutMs: number): string {
  if (signal.aborted) return `timed out after ${timeoutMs} ms`;
  const cause = (error as { cause?: unknown }).cause ?? error;
  if (cause instanceof DestinationRefused) return `refused: ${cause.message}`;
  if (error instanceof DestinationRefused) return `refused: ${error.message}`;
  const e = cause as { code?: string; message?: string };
  return [e.code, e.message].filter(Boolean).join(' ') || String(error);
}
