/**
 * When a delivery is attempted again, and when an endpoint gives up: roughly at once, then 5 s, 5 min,
 * 30 min, 2 h, 5 h, 10 h, 14 h, 20 h and 24 h after the attempt before (about three days in all).
 * An endpoint whose every attempt has failed for 5 days is disabled.
 */
export const RETRY_DELAYS_SECONDS = [5, 300, 1800, 7200, 18_000, 36_000, 50_400, 72_000, 86_400] as const;
export const ATTEMPTS = RETRY_DELAYS_SECONDS.length + 1;
export const DISABLE_AFTER_MS = 5 * 86_400_000;

/**
 * When to try again after failed attempt `attempt` (1-based), or undefined when that was the last.
 * `scale` shortens every delay (tests and demos set it; production leaves it at 1).
 */
export function nextAttemptAt(attempt: number, at: Date, scale = 1): Date | undefined {
  const delay = RETRY_DELAYS_SECONDS[attempt - 1];
  return delay === undefined ? undefined : new Date(at.getTime() + delay * 1000 * scale);
}

/** Whether an endpoint failing since `failingSince` (and never succeeding since) is disabled at `now`. */
export const disabledAt = (failingSince: Date | null, now: Date, scale = 1): boolean =>
  failingSince !== null && now.getTime() - failingSince.getTime() >= DISABLE_AFTER_MS * scale;
