import { maxBatchOf, TRACKING_BATCHES_PER_TRANSACTION, trackingShardOf, TRACKING_SHARDS } from '../src/shard.js';

describe('tracking traffic in shards and batches', () => {
  it('keeps every event of a campaign under one of a few shard keys', () => {
    const shards = new Set(Array.from({ length: 200 }, (_, i) => trackingShardOf(`campaign-${i}`)));
    expect(shards.size).toBe(TRACKING_SHARDS);
    expect(trackingShardOf('campaign-7')).toBe(trackingShardOf('campaign-7'));
  });

  it('caps the batch topics at a few batches per transaction and leaves other topics to the service', () => {
    expect(maxBatchOf('tracking/command-batches')).toBe(TRACKING_BATCHES_PER_TRANSACTION);
    expect(maxBatchOf('tracking/event-batches')).toBe(TRACKING_BATCHES_PER_TRANSACTION);
    expect(maxBatchOf('tracking/command-batches-v2')).toBe(TRACKING_BATCHES_PER_TRANSACTION);
    expect(maxBatchOf('tracking/events')).toBeUndefined();
    expect(maxBatchOf('campaign/commands')).toBeUndefined();
  });
});
