/**
 * Time rules shared by the edge and the services: strict RFC 3339, the window around receipt in
 * which an event's occurredAt is believed, and the fixed 4-hour activity windows.
 */

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-](\d{2}):(\d{2}))$/;

/** Strict RFC 3339 (a real calendar date, an explicit offset) → ISO-8601 UTC; undefined otherwise. */
export function parseRfc3339(value: string): string | undefined {
  const m = RFC3339.exec(value);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  if (day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return undefined;
  if ((m[9] && Number(m[9]) > 23) || (m[10] && Number(m[10]) > 59)) return undefined;
  const at = Date.parse(value.toUpperCase());
  return Number.isNaN(at) ? undefined : new Date(at).toISOString();
}

/** How far before its receipt an event may have happened (the longest attribution window, and a day). */
export const OCCURRED_AT_MAX_AGE_DAYS = 366;
/** How far after its receipt an event may claim to happen (clock skew of the sender). */
export const OCCURRED_AT_MAX_LEAD_MINUTES = 10;

/** Why an occurredAt is not believed for an event received at receivedAt, or undefined. */
export function occurrenceProblem(
  occurredAt: string,
  receivedAt: string,
): 'INVALID_OCCURRED_AT' | 'OCCURRED_AT_OUT_OF_WINDOW' | undefined {
  const at = Date.parse(occurredAt);
  const received = Date.parse(receivedAt);
  if (Number.isNaN(at) || Number.isNaN(received)) return 'INVALID_OCCURRED_AT';
  if (at < received - OCCURRED_AT_MAX_AGE_DAYS * 86_400_000 || at > received + OCCURRED_AT_MAX_LEAD_MINUTES * 60_000)
    return 'OCCURRED_AT_OUT_OF_WINDOW';
  return undefined;
}

export const ACTIVITY_WINDOW_MS = 4 * 3_600_000;

/** The fixed 4-hour UTC window [start, end) holding `at` (00:00, 04:00, … 20:00). */
export function activityWindowOf(at: string): { start: string; end: string } {
  const start = Math.floor(Date.parse(at) / ACTIVITY_WINDOW_MS) * ACTIVITY_WINDOW_MS;
  return { start: new Date(start).toISOString(), end: new Date(start + ACTIVITY_WINDOW_MS).toISOString() };
}
