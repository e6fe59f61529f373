/**
 * Idempotency-Key on POST, per caller. The key is reserved atomically before any effect: of many
 * requests arriving at once under one key, exactly one runs. The others wait for its response (and
 * replay it), or get 409 while it is still running. A 5xx releases the key; ids the BFF makes for
 * the request (stableId) derive from the key, so a retry republishes the same ids and the services'
 * deduplication absorbs anything the failed attempt did publish.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { sql, type Kysely } from 'kysely';
import { deleteInBatches } from '@beacon/messaging';
import type { Database } from '../db.js';
import { Problem } from './problems.js';
import { principalOf } from './jwt.js';

/** A reservation older than this is taken to belong to a crashed process and may be taken over. */
const STALE_RESERVATION_SECONDS = 60;
export const IDEMPOTENCY_RETENTION_HOURS = 24;
const WAIT_FOR_FIRST_MS = 5_000;

// What this middleware adds to every express request.
declare module 'express-serve-static-core' {
  interface Request {
    /** the request's Idempotency-Key, once reserved for it */
    idempotencyKey?: string;
  }
}

/**
 * An id the BFF makes for a request: random without an Idempotency-Key, and the same on every
 * retry under one key (a UUID-shaped digest of caller, key and purpose).
 */
export function stableId(req: Request, purpose: string): string {
  if (!req.idempotencyKey) return randomUUID();
  const hex = createHash('sha256')
    .update(`${principalOf(req.caller)}\n${req.idempotencyKey}\n${purpose}`)
    .digest('hex');
  const variant = ((parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const KEY = /^[\x21-\x7e]{1,255}$/;

export function idempotency(db: Kysely<Database>): RequestHandler {
  return (req, res, next) => {
    const key = req.header('idempotency-key');
    if (req.method !== 'POST' || key === undefined) return next();
    if (!KEY.test(key))
      return next(new Problem(400, 'Bad Request', 'Idempotency-Key must be 1–255 visible ASCII characters'));
    const caller = principalOf(req.caller);
    const hash = createHash('sha256')
      .update(`${req.method} ${req.originalUrl}\n${JSON.stringify(req.body ?? null)}`)
      .digest('hex');
    reserve(db, caller, key, hash)
      .then(async (won) => {
        if (won) {
          req.idempotencyKey = key;
          remember(db, res, caller, key);
          return next();
        }
        await replay(db, res, caller, key, hash);
      })
      .catch(next);
  };
}

/** True when this request now holds the key: it was free, expired, or held by a crashed request. */
async function reserve(db: Kysely<Database>, caller: string, key: string, hash: string): Promise<boolean> {
  const won = await sql<{ key: string }>`
    INSERT INTO idempotency_keys (caller, key, request_hash, state, status, body, location, created_at)
    VALUES (${caller}, ${key}, ${hash}, 'in_progress', NULL, NULL, NULL, clock_timestamp())
    ON CONFLICT (caller, key) DO UPDATE
      SET request_hash = EXCLUDED.request_hash, state = 'in_progress', status = NULL, body = NULL, location = NULL,
        created_at = clock_timestamp()
      WHERE idempotency_keys.created_at < clock_timestamp() - make_interval(hours => ${IDEMPOTENCY_RETENTION_HOURS})
         OR (idempotency_keys.state = 'in_progress'
           AND idempotency_keys.created_at < clock_timestamp() - make_interval(secs => ${STALE_RESERVATION_SECONDS}))
    RETURNING key`.execute(db);
  return won.rows.length === 1;
}

/** Stores the response before sending it (a 5xx frees the key instead), so a replay never sees a gap. */
function remember(db: Kysely<Database>, res: Response, caller: string, key: string): void {
  const json = res.json.bind(res);
  let settled = false;
  const release = () =>
    db
      .deleteFrom('idempotency_keys')
      .where('caller', '=', caller)
      .where('key', '=', key)
      .where('state', '=', 'in_progress')
      .execute();
  res.json = (body: unknown) => {
    settled = true;
    const location = res.getHeader('Location');
    const store =
      res.statusCode >= 500
        ? release()
        : db
            .updateTable('idempotency_keys')
            .set({
              state: 'done',
              status: res.statusCode,
              body: JSON.stringify(body),
              location: typeof location === 'string' ? location : null,
            })
            .where('caller', '=', caller)
            .where('key', '=', key)
            .execute();
    store.then(
      () => json(body),
      () => json(body),
    );
    return res;
  };
  // A request that ends without a JSON response (the client went away) frees the key too.
  res.on('close', () => {
    if (!settled) void release().catch(() => undefined);
  });
}

async function replay(db: Kysely<Database>, res: Response, caller: string, key: string, hash: string): Promise<void> {
  const deadline = Date.now() + WAIT_FOR_FIRST_MS;
  for (;;) {
    const seen = await db
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('caller', '=', caller)
      .where('key', '=', key)
      .executeTakeFirst();
    if (seen && seen.request_hash !== hash)
      throw new Problem(409, 'Conflict', 'this Idempotency-Key was used with a different request');
    if (seen?.state === 'done' && seen.status !== null) {
      if (seen.location) res.setHeader('Location', seen.location);
      res.setHeader('Idempotent-Replayed', 'true');
      const body = seen.body as { correlationId?: unknown } | null;
      if (body && typeof body.correlationId === 'string') res.setHeader('X-Correlation-ID', body.correlationId);
      res.status(seen.status).json(body);
      return;
    }
    if (!seen) throw new Problem(409, 'Conflict', 'a request with this Idempotency-Key failed just now; retry it');
    if (Date.now() > deadline)
      throw new Problem(409, 'Conflict', 'a request with this Idempotency-Key is still in progress; retry later');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Keys older than their 24 h (and any reservation left by a crash) go. */
export async function pruneIdempotencyKeys(db: Kysely<Database>): Promise<number> {
  return deleteInBatches(
    db as unknown as Kysely<unknown>,
    (limit) => sql`DELETE FROM idempotency_keys WHERE ctid IN (SELECT ctid FROM idempotency_keys
    WHERE created_at < clock_timestamp() - make_interval(hours => ${IDEMPOTENCY_RETENTION_HOURS + 1}) LIMIT ${limit})`,
  );
}
