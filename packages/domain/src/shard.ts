/**
 * Tracking traffic travels in batches keyed by a shard of campaign ids rather than by the campaign
 * itself: a lingering producer then fills a batch from many campaigns, and every event of one
 * campaign still travels under one key, in order (Key_Shared hands one key to one consumer at a time).
 */
import { createHash } from 'node:crypto';

/** How many keys tracking batches spread over: the most consumers that can share the stream. */
export const TRACKING_SHARDS = 4;

export function trackingShardOf(campaignId: string): string {
  const n = createHash('sha1').update(campaignId).digest().readUInt32BE(0) % TRACKING_SHARDS;
  return `shard-${n.toString().padStart(2, '0')}`;
}

/**
 * Tracking batches (up to 500 events each) handled in one consumer transaction, at most: enough to
 * amortise the commit, few enough to keep a transaction's lock set and duration small.
 */
export const TRACKING_BATCHES_PER_TRANSACTION = 8;

/** How many messages of one key a consumer of `topic` handles in one transaction: a cap for the batch topics, else none. */
export function maxBatchOf(topic: string): number | undefined {
  return /-batches(-v\d+)?$/.test(topic) ? TRACKING_BATCHES_PER_TRANSACTION : undefined;
}
