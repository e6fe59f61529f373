import type { Kysely } from 'kysely';
import { codecs, type RecordTrackingEventV2 as RecordTrackingEvent } from '@beacon/contracts';
import { createMemoryBus, type MessageBus } from '@beacon/messaging';
import { recordCommand } from '@beacon/testing';
import type { Database } from '../src/db.js';
import { RetryLater } from '../src/http/problems.js';
import { createTrackingBatcher, DEFAULT_BATCH_LIMITS } from '../src/tracking/batches.js';

const impression = (i: number): RecordTrackingEvent =>
  recordCommand({
    eventId: `e-${i}`,
    clientEventId: false,
    campaignId: `c-${i % 7}`,
    influencerId: 'inf-1',
    visitorId: `v-${i}`,
    occurredAt: '2026-12-01T10:00:00.000Z',
    receivedAt: '2026-12-01T10:00:00.000Z',
    writerBrandId: 'b-1',
  });

/** A broker that holds every publish until the test lets them through: a slow broker, not a fake one. */
function slowBroker(): { bus: MessageBus; release: () => void } {
  const inner = createMemoryBus();
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  return { bus: { ...inner, publish: async (m) => (await gate, inner.publish(m)) }, release };
}

describe('admission control: the tracking queue is bounded', () => {
  it('refuses a request past the queued-event bound with 503 and Retry-After, and takes it once the broker caught up', async () => {
    const { bus, release } = slowBroker();
    let refused = 0;
    const batcher = createTrackingBatcher({
      bus,
      db: {} as Kysely<Database>, // operations are claimed by the route here (claimed: true): no statement runs
      codecs: codecs(),
      limits: { ...DEFAULT_BATCH_LIMITS, lingerMs: 1, maxQueuedEvents: 100 },
      onRefused: () => refused++,
    });
    const source = (n: number) => ({ correlationId: `flow-${n}` });
    const batch = (from: number, n: number) => Array.from({ length: n }, (_, i) => impression(from + i));
    const first = batcher.submit(source(1), batch(0, 60), { claimed: true });
    const second = batcher.submit(source(2), batch(60, 40), { claimed: true });
    const third = batcher.submit(source(3), batch(100, 1), { claimed: true });
    await expect(third).rejects.toBeInstanceOf(RetryLater);
    await expect(third).rejects.toMatchObject({ status: 503, retryAfterSeconds: 1 });
    expect(refused).toBe(1);
    release();
    await Promise.all([first, second]);
    await expect(batcher.submit(source(4), batch(101, 100), { claimed: true })).resolves.toBe('flow-4');
  });

  it('bounds the queued bytes too', async () => {
    const { bus, release } = slowBroker();
    const batcher = createTrackingBatcher({
      bus,
      db: {} as Kysely<Database>,
      codecs: codecs(),
      limits: { ...DEFAULT_BATCH_LIMITS, lingerMs: 1, maxQueuedBytes: 2_000 },
    });
    const pending = batcher.submit({ correlationId: 'f-1' }, [impression(1), impression(2)], { claimed: true });
    await expect(
      batcher.submit(
        { correlationId: 'f-2' },
        Array.from({ length: 20 }, (_, i) => impression(10 + i)),
        {
          claimed: true,
        },
      ),
    ).rejects.toMatchObject({ status: 503 });
    release();
    await pending;
  });
});
