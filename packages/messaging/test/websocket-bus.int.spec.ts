import { createWebSocketBus } from '../src/drivers/websocket.js';
import { describeBusContract } from './bus-contract.js';
import { BROKER_URL, testTopic, waitFor } from './helpers.js';
import { defined } from '@beacon/domain';

describeBusContract('websocket driver on the real broker', () => createWebSocketBus({ serviceUrl: BROKER_URL }), {
  topicUnload: true,
  holdsKeys: true,
  createAt: (serviceUrl, sendTimeoutMs) => createWebSocketBus({ serviceUrl, sendTimeoutMs }),
});

describe('websocket driver: a batch with a failure holds its key', () => {
  it("parks the key's deferred and later messages until the failed one is handled, then acknowledges them all", async () => {
    const bus = createWebSocketBus({ serviceUrl: BROKER_URL });
    const topic = testTopic('batch-hold');
    const subscription = {
      topic,
      subscription: 'batch-hold',
      nackRedeliveryDelayMs: 300,
      maxDeliveries: 0,
      maxBatch: 10,
    };
    const handled: string[] = [];
    const batches: string[][] = [];
    let failedOnce = false;
    try {
      for (const n of [1, 2, 3, 4, 5]) {
        await bus.publish({ topic, key: 'k', payload: Buffer.from('x'), properties: { n: String(n) } });
      }
      const sub = await defined(bus.subscribeBatches, 'subscribeBatches')(subscription, async (ms) => {
        batches.push(ms.map((m) => m.properties.n ?? '?'));
        const verdicts: Array<boolean | 'deferred'> = [];
        for (const m of ms) {
          if (verdicts.includes(false)) verdicts.push('deferred');
          else if (m.properties.n === '2' && !failedOnce) {
            failedOnce = true;
            verdicts.push(false);
          } else {
            handled.push(m.properties.n ?? '?');
            verdicts.push(true);
          }
        }
        return verdicts;
      });
      await waitFor(() => handled.length >= 5, 20000, 'five messages handled');
      await new Promise((resolve) => setTimeout(resolve, 1000)); // nothing more should come
      await sub.close();
      expect(handled).toEqual(['1', '2', '3', '4', '5']);
      // The failed message came back alone, and the parked ones ran after it.
      expect(batches.some((b) => b.length === 1 && b[0] === '2')).toBe(true);
      // Everything was acknowledged: the subscription has nothing left to deliver.
      const again: string[] = [];
      const check = await bus.subscribe({ topic, subscription: 'batch-hold' }, async (m) => {
        again.push(m.properties.n ?? '?');
      });
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await check.close();
      expect(again).toEqual([]);
    } finally {
      await bus.close();
    }
  });
});

describe('websocket driver: parking stays within the socket', () => {
  it('runs a key on without its failed message once half the receiver queue is parked, so the socket never stalls', async () => {
    const bus = createWebSocketBus({ serviceUrl: BROKER_URL });
    const topic = testTopic('park-budget');
    const handled: string[] = [];
    let failedOnce = false;
    try {
      const sub = await bus.subscribe(
        // 4 slots on the socket: at most 2 parked. The failed message comes back only after 20 s.
        { topic, subscription: 'park-budget', receiverQueueSize: 4, nackRedeliveryDelayMs: 20_000, maxDeliveries: 0 },
        async (m) => {
          if (m.properties.n === '1' && !failedOnce) {
            failedOnce = true;
            throw new Error('not yet');
          }
          handled.push(m.properties.n ?? '?');
        },
      );
      for (let n = 1; n <= 8; n++) {
        await bus.publish({ topic, key: 'k', payload: Buffer.from('x'), properties: { n: String(n) } });
      }
      await bus.publish({ topic, key: 'other', payload: Buffer.from('x'), properties: { n: 'other' } });
      // Well before the failed message's redelivery (20 s) and the hold's own limit (200 s here).
      await waitFor(() => handled.length === 8, 10_000, 'every message but the failed one');
      expect(handled.filter((n) => n !== 'other').sort()).toEqual(['2', '3', '4', '5', '6', '7', '8']);
      expect(handled).toContain('other');
      await sub.close();
    } finally {
      await bus.close();
    }
  });
});
