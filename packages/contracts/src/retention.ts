/**
 * What the broker keeps of the event topics after every subscription has read it (issue 20: history
 * that can be replayed). Tracking, campaign, commission and payment keep their history for a window
 * (webhook too: the BFF's read model of endpoints and deliveries is projected from its events, and a
 * rebuild found it missing when only the four were kept)
 * and up to a size per namespace; beyond either, the broker drops the oldest ledgers (nothing is
 * offloaded here: this machine has no tiered storage). Set-up (scripts/provision.ts) applies it.
 */
export const HISTORY_NAMESPACES = ['tracking', 'campaign', 'commission', 'payment', 'webhook'] as const;

export interface RetentionPolicy {
  retentionTimeInMinutes: number;
  retentionSizeInMB: number;
}

/** 90 days (a backtest's longest window) and 20 GiB per namespace, unless the environment says otherwise. */
export function retentionPolicyFromEnv(env: NodeJS.ProcessEnv = process.env): RetentionPolicy {
  const days = Number(env.PULSAR_RETENTION_DAYS ?? 90);
  const sizeMB = Number(env.PULSAR_RETENTION_MB ?? 20 * 1024);
  if (!(Number.isInteger(days) && days >= 1))
    throw new Error('PULSAR_RETENTION_DAYS must be a whole number of days, at least 1');
  if (!(Number.isInteger(sizeMB) && sizeMB >= 1))
    throw new Error('PULSAR_RETENTION_MB must be a whole number of MB, at least 1');
  return { retentionTimeInMinutes: days * 24 * 60, retentionSizeInMB: sizeMB };
}
