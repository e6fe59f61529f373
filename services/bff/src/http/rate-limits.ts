/**
 * What keeps one caller from stalling the others, and a stranger from farming a public link:
 *
 * - per-caller rate limits: a budget of requests per window for each principal (roles + sub), by its
 *   most generous role; over it, 429 with Retry-After. Counters live in PostgreSQL (rate-limiter-flexible),
 *   so BFF replicas share them; if the database does not answer, a per-process counter decides.
 * - link clicks per client IP and per link: over either, the link still redirects but records nothing.
 *
 * Every limit is configurable (README, Limits); the defaults leave room for a shop's ingest key at
 * thousands of events a second and stop a script long before it matters.
 */
import { createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Kysely } from 'kysely';
import type pg from 'pg';
import {
  RateLimiterMemory,
  RateLimiterPostgres,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import { ConfigError, principalOf, ROLES, type Role } from './jwt.js';
import type { Database } from '../db.js';
import { RetryLater } from './problems.js';

export const RATE_LIMITS_TABLE = 'rate_limits';

export interface Limits {
  /** the window every per-caller budget is counted over */
  windowSeconds: number;
  /** requests per window, by role; a caller with several roles gets its most generous one */
  perRole: Record<Role, number>;
  /** recorded clicks per client IP (over all links) and per link, in each link window */
  linkWindowSeconds: number;
  clicksPerIp: number;
  clicksPerLink: number;
}

export const DEFAULT_LIMITS: Limits = {
  windowSeconds: 10,
  perRole: { admin: 20_000, ingest: 20_000, brand: 5_000, influencer: 600 },
  linkWindowSeconds: 60,
  clicksPerIp: 120,
  clicksPerLink: 6_000,
};

/** RATE_LIMIT_WINDOW_S, RATE_LIMIT_<ROLE>, LINK_LIMIT_WINDOW_S, LINK_CLICKS_PER_IP, LINK_CLICKS_PER_LINK. */
export function limitsFromEnv(env: NodeJS.ProcessEnv = process.env): Limits {
  const num = (name: string, fallback: number) => {
    const value = env[name] ? Number(env[name]) : fallback;
    if (!Number.isInteger(value) || value < 1) throw new ConfigError(`${name} must be a positive integer`);
    return value;
  };
  return {
    windowSeconds: num('RATE_LIMIT_WINDOW_S', DEFAULT_LIMITS.windowSeconds),
    perRole: Object.fromEntries(
      ROLES.map((role) => [role, num(`RATE_LIMIT_${role.toUpperCase()}`, DEFAULT_LIMITS.perRole[role])]),
    ) as Record<Role, number>,
    linkWindowSeconds: num('LINK_LIMIT_WINDOW_S', DEFAULT_LIMITS.linkWindowSeconds),
    clicksPerIp: num('LINK_CLICKS_PER_IP', DEFAULT_LIMITS.clicksPerIp),
    clicksPerLink: num('LINK_CLICKS_PER_LINK', DEFAULT_LIMITS.clicksPerLink),
  };
}

/** A counter of `points` per `duration` seconds in the shared table, with a per-process stand-in. */
function sharedCounter(pool: pg.Pool, keyPrefix: string, points: number, duration: number): RateLimiterAbstract {
  return new RateLimiterPostgres({
    storeClient: pool,
    storeType: 'pool',
    tableName: RATE_LIMITS_TABLE,
    tableCreated: true, // by the BFF's migrations
    clearExpiredByTimeout: false, // the BFF's pruning does it
    // A budget of other terms counts apart: changing a limit starts its counters afresh.
    keyPrefix: `${keyPrefix}:${points}/${duration}`,
    points,
    duration,
    insuranceLimiter: new RateLimiterMemory({ keyPrefix, points, duration }),
  });
}

/** How often a process adds what it counted to the shared counters. */
export const FLUSH_MS = 50;

export interface Budget {
  /** Spends one unit of `key`'s budget, or says how long until the window ends (ms) when it is spent. */
  take(key: string): { ok: true } | { ok: false; retryAfterMs: number };
  /** Adds what was counted since the last flush to the shared counters (tests; a timer does it too). */
  flush(): Promise<void>;
}

/**
 * A budget of `points` per `seconds` per key, decided in this process and shared through PostgreSQL:
 * a request is judged by the shared count last read plus what this process counted since, and every
 * FLUSH_MS each key's new count goes to the shared counter in one statement. A statement per request
 * cost the single-event route a third of its rate (bench/RESULTS.md); replicas may now overshoot a
 * budget by what they take within one flush interval.
 */
export function sharedBudget(counter: RateLimiterAbstract, points: number, seconds: number): Budget {
  const keys = new Map<string, { shared: number; sending: number; pending: number; resetAt: number }>();
  let timer: NodeJS.Timeout | undefined;
  const flush = async () => {
    timer = undefined;
    await Promise.all(
      [...keys].map(async ([key, entry]) => {
        const now = Date.now();
        if (entry.pending === 0) {
          if (now >= entry.resetAt) keys.delete(key);
          return;
        }
        const sent = entry.pending;
        entry.pending = 0;
        entry.sending += sent; // still counted while the statement runs
        const seen = await counter.consume(key, sent).catch((error: unknown) => refusedBy(error));
        entry.sending -= sent;
        if (!seen) {
          entry.shared += sent; // the store failed and so did its stand-in: this process's own count stands
          return;
        }
        entry.shared = seen.consumedPoints;
        entry.resetAt = Date.now() + Math.max(seen.msBeforeNext, 0);
      }),
    );
  };
  return {
    take(key) {
      const now = Date.now();
      const entry = keys.get(key) ?? { shared: 0, sending: 0, pending: 0, resetAt: now + seconds * 1000 };
      if (now >= entry.resetAt) Object.assign(entry, { shared: 0, resetAt: now + seconds * 1000 });
      keys.set(key, entry);
      if (entry.shared + entry.sending + entry.pending >= points)
        return { ok: false, retryAfterMs: entry.resetAt - now };
      entry.pending++;
      timer ??= setTimeout(() => void flush(), FLUSH_MS).unref();
      return { ok: true };
    },
    flush,
  };
}

/** A counter's key fits the table's 255 characters: a long principal (a sub may be 256) is hashed. */
const counterKey = (principal: string) =>
  principal.length <= 200 ? principal : `sha256:${createHash('sha256').update(principal).digest('base64url')}`;

const refusedBy = (error: unknown): RateLimiterRes | undefined => (error instanceof RateLimiterRes ? error : undefined);

/** Per-caller rate limits for the authenticated API (after authentication, before idempotency). */
export function callerRateLimit(pool: pg.Pool, limits: Limits, onRefused?: () => void): RequestHandler {
  const budgets = new Map(
    ROLES.map((role) => {
      const points = limits.perRole[role];
      const counter = sharedCounter(pool, `caller:${role}`, points, limits.windowSeconds);
      return [role, sharedBudget(counter, points, limits.windowSeconds)];
    }),
  );
  return (req, _res, next) => {
    const roles = req.caller.roles.length > 0 ? req.caller.roles : (['influencer'] as Role[]);
    const role = roles.reduce((best, r) => (limits.perRole[r] > limits.perRole[best] ? r : best));
    const verdict = budgets.get(role)?.take(counterKey(principalOf(req.caller)));
    if (!verdict || verdict.ok) return next();
    onRefused?.();
    next(
      new RetryLater(
        429,
        `over ${limits.perRole[role]} requests per ${limits.windowSeconds} s for this caller`,
        Math.ceil(verdict.retryAfterMs / 1000),
      ),
    );
  };
}

/** Whether a click on this link from this IP may be recorded (the redirect happens either way). */
export function linkClickLimit(pool: pg.Pool, limits: Limits): (ip: string, link: string) => boolean {
  const seconds = limits.linkWindowSeconds;
  const perIp = sharedBudget(sharedCounter(pool, 'click-ip', limits.clicksPerIp, seconds), limits.clicksPerIp, seconds);
  const perLink = sharedBudget(
    sharedCounter(pool, 'click-link', limits.clicksPerLink, seconds),
    limits.clicksPerLink,
    seconds,
  );
  return (ip, link) => perIp.take(ip).ok && perLink.take(link).ok;
}

/** Drops counters whose window ended over an hour ago. */
export async function pruneRateLimits(db: Kysely<Database>): Promise<number> {
  const result = await db
    .deleteFrom(RATE_LIMITS_TABLE)
    .where('expire', '<', Date.now() - 3_600_000)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
