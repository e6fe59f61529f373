/**
 * A held commission nobody decided within its campaign's reviewDays is approved, reason
 * REVIEW_EXPIRED, in the flow that held it. A timer finds the expired ones (oldest first, a page at a
 * time, rows other replicas are deciding skipped), decides each with the saga and writes the events
 * to the outbox in the same transaction, then sends them once it commits.
 */
import { REVIEW_EXPIRED } from '@beacon/domain';
import { buildMessage, enqueue, type CommittedRow } from '@beacon/messaging';
import type { ServiceContext } from '@beacon/service-kit';
import type { Database } from './db.js';
import { advance, type Commission } from './saga.js';
import { commissionOf, saveCommissions, termsOfAll } from './store.js';

const DAY_MS = 86_400_000;
const PAGE = 100;

export interface ReviewTiming {
  /** how long a review day lasts: a day, except in development, where tests shorten it */
  dayMs: number;
  /** how often expired holds are looked for */
  sweepEveryMs: number;
}

export function reviewTimingFromEnv(env: NodeJS.ProcessEnv): ReviewTiming {
  const scale = Number(env.REVIEW_TIME_SCALE ?? 1);
  if (!(scale > 0 && scale <= 1)) throw new Error('REVIEW_TIME_SCALE must be in (0, 1]');
  if (scale !== 1 && env.BEACON_ENV !== 'development') throw new Error('REVIEW_TIME_SCALE is for development only');
  const sweepEveryMs = Number(env.REVIEW_SWEEP_MS ?? 30_000);
  if (!(sweepEveryMs >= 100)) throw new Error('REVIEW_SWEEP_MS must be at least 100');
  return { dayMs: DAY_MS * scale, sweepEveryMs };
}

/** Approves one page of expired holds; returns how many it found. */
export async function expireHolds(ctx: ServiceContext<Database>, now = new Date()): Promise<number> {
  const written: CommittedRow[] = [];
  const found = await ctx.db.transaction().execute(async (trx) => {
    const rows = await trx
      .selectFrom('commissions')
      .selectAll()
      .where('status', '=', 'held')
      .where('review_by', '<=', now)
      .orderBy('review_by')
      .limit(PAGE)
      .forUpdate()
      .skipLocked()
      .execute();
    const terms = await termsOfAll(trx, [...new Set(rows.map((r) => r.campaign_id))]);
    const saved: Commission[] = [];
    for (const row of rows) {
      const held = commissionOf(row);
      const holdingPeriodDays = terms.get(held.campaignId)?.holdingPeriodDays ?? 0;
      const step = {
        type: 'Reviewed',
        decision: 'approve',
        reason: REVIEW_EXPIRED,
        decidedBy: null,
        holdingPeriodDays,
      } as const;
      const { state, events } = advance(held, step);
      if (!state || state === held) continue;
      saved.push(state);
      for (const event of events) {
        const { message } = buildMessage(ctx.codecs, {
          messageType: event.type,
          key: held.campaignId,
          value: event.data,
          producer: 'commission',
          tenant: ctx.config.tenant,
          // The flow that held it; a hold kept before causes were recorded starts a flow of its own.
          ...(held.holdCause ? { cause: held.holdCause } : {}),
        });
        await enqueue(trx, message, written);
      }
    }
    await saveCommissions(trx, saved);
    return rows.length;
  });
  if (written.length > 0) await ctx.relay.sendCommitted(written);
  return found;
}

/** Looks for expired holds every `sweepEveryMs`; returns how to stop. */
export async function startReviewExpiry(
  ctx: ServiceContext<Database>,
  timing: ReviewTiming,
): Promise<() => Promise<void>> {
  let running: Promise<void> | undefined;
  const sweep = async () => {
    while ((await expireHolds(ctx)) === PAGE);
  };
  const timer = setInterval(() => {
    running ??= sweep()
      .catch((error: unknown) => ctx.logger.warn({ err: (error as Error).message }, 'review expiry failed'))
      .finally(() => (running = undefined));
  }, timing.sweepEveryMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
