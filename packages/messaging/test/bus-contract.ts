/**
 * One contract for every MessageBus driver (the Watermill idea): each driver's spec file calls
 * describeBusContract with a factory. Capabilities a driver cannot offer (the memory bus has no
 * broker to unload or connection to drop) are declared, never silently skipped.
 */
import { pulsarAuthHeaders } from '../src/auth.js';
import type { IncomingMessage, MessageBus, PublishReceipt } from '../src/bus.js';
import { BROKER_URL, startCuttableProxy, testTopic, waitFor } from './helpers.js';
import { defined } from '@beacon/domain';

export interface ContractCapabilities {
  /** The bus talks to a real broker whose admin API can unload topics. */
  topicUnload: boolean;
  /** The bus can be pointed at a serviceUrl (for the connection-drop test through a proxy). */
  createAt?: (serviceUrl: string, sendTimeoutMs: number) => MessageBus;
  /**
   * A failed message's key waits for its redelivery (bus.ts, BatchHandler); false, with the reason,
   * where the driver lets the key's later messages run first.
   */
  holdsKeys: true | { no: string };
}

const props = (n: number, extra: Record<string, string> = {}) => ({ n: String(n), 'message-id': `m-${n}`, ...extra });

export function describeBusContract(
  name: string,
  createBus: () => MessageBus | Promise<MessageBus>,
  capabilities: ContractCapabilities,
): void {
  describe(`MessageBus contract: ${name}`, () => {
    let bus: MessageBus;
    beforeEach(async () => {
      bus = await createBus();
    });
    afterEach(async () => {
      await bus.close();
    });

    it('round-trips key, payload and properties', async () => {
      const topic = testTopic('roundtrip');
      const received: IncomingMessage[] = [];
      const sub = await bus.subscribe({ topic, subscription: 'contract' }, async (m) => {
        received.push(m);
      });
      await bus.publish({
        topic,
        key: 'campaign-1',
        payload: Buffer.from([0, 1, 2, 255]),
        properties: props(1, { 'correlation-id': 'c-1' }),
      });
      await waitFor(() => received.length === 1, 15000, 'the message');
      expect(received[0]?.key).toBe('campaign-1');
      expect([...(received[0]?.payload ?? [])]).toEqual([0, 1, 2, 255]);
      expect(received[0]?.properties).toMatchObject({ n: '1', 'correlation-id': 'c-1' });
      expect(received[0]?.redeliveryCount).toBe(0);
      await sub.close();
    });

    it('keeps order per key across two Key_Shared consumers and loses nothing', async () => {
      const topic = testTopic('order');
      const keys = 8;
      const perKey = 40;
      const seen = new Map<string, number[]>();
      const consumers: string[] = [];
      const handler = (consumer: string) => async (m: IncomingMessage) => {
        consumers.push(consumer);
        const list = seen.get(m.key ?? '') ?? [];
        list.push(Number(m.properties.n));
        seen.set(m.key ?? '', list);
        // Slow handlers make interleaving between keys (and consumers) likely.
        await new Promise((r) => setTimeout(r, Math.random() * 3));
      };
      const a = await bus.subscribe({ topic, subscription: 'order', type: 'Key_Shared' }, handler('a'));
      const b = await bus.subscribe({ topic, subscription: 'order', type: 'Key_Shared' }, handler('b'));
      const sends: Promise<PublishReceipt>[] = [];
      for (let i = 0; i < perKey; i++) {
        for (let k = 0; k < keys; k++)
          sends.push(bus.publish({ topic, key: `key-${k}`, payload: Buffer.from('x'), properties: props(i) }));
        // Pipelined per round; publish order per key is the round order.
        await Promise.all(sends.splice(0));
      }
      await waitFor(() => [...seen.values()].reduce((s, l) => s + l.length, 0) >= keys * perKey, 30000, 'all messages');
      for (let k = 0; k < keys; k++) {
        expect(seen.get(`key-${k}`)).toEqual([...Array(perKey).keys()]);
      }
      expect(new Set(consumers).size).toBe(2);
      await a.close();
      await b.close();
    });

    it('redelivers after a negative ack, not before the delay, with the count rising', async () => {
      const topic = testTopic('nack');
      const deliveries: Array<{ at: number; count: number }> = [];
      const delayMs = 1500;
      const sub = await bus.subscribe(
        { topic, subscription: 'nack', nackRedeliveryDelayMs: delayMs, maxDeliveries: 0 },
        async (m) => {
          deliveries.push({ at: Date.now(), count: m.redeliveryCount });
          if (deliveries.length < 3) throw new Error('not yet');
        },
      );
      await bus.publish({ topic, key: 'k', payload: Buffer.from('x'), properties: props(1) });
      await waitFor(() => deliveries.length === 3, 20000, 'three deliveries');
      expect(deliveries.map((d) => d.count)).toEqual([0, 1, 2]);
      // The broker checks nacks on a timer, so a little early is tolerated, never immediate.
      const [first, second, third] = deliveries.map((d) => d.at);
      expect((second ?? 0) - (first ?? 0)).toBeGreaterThanOrEqual(delayMs * 0.9);
      expect((third ?? 0) - (second ?? 0)).toBeGreaterThanOrEqual(delayMs * 0.9);
      await sub.close();
    });

    it('sends a message to the dead-letter topic after N deliveries, properties intact', async () => {
      const topic = testTopic('dlq');
      const deadLetterTopic = `${topic}-dlq`;
      let attempts = 0;
      const dead: IncomingMessage[] = [];
      const dlqSub = await bus.subscribe(
        { topic: deadLetterTopic, subscription: 'inspect', maxDeliveries: 0 },
        async (m) => {
          dead.push(m);
        },
      );
      const sub = await bus.subscribe(
        { topic, subscription: 'dlq', nackRedeliveryDelayMs: 200, maxDeliveries: 3, deadLetterTopic },
        async () => {
          attempts++;
          throw new Error('poison');
        },
      );
      await bus.publish({
        topic,
        key: 'poison-key',
        payload: Buffer.from('poison'),
        properties: props(7, { 'message-type': 'test.Poison' }),
      });
      await waitFor(() => dead.length === 1, 30000, 'the dead-lettered message');
      expect(attempts).toBe(3);
      expect(dead[0]?.properties).toMatchObject({ n: '7', 'message-type': 'test.Poison' });
      expect(dead[0]?.payload.toString()).toBe('poison');
      await sub.close();
      await dlqSub.close();
    });

    const holding = capabilities.holdsKeys === true ? it : it.skip;
    const notHolding = capabilities.holdsKeys === true ? '' : ` (not run: ${capabilities.holdsKeys.no})`;

    holding(
      `handles a failed message again before its key's later messages, while other keys run on${notHolding}`,
      async () => {
        const topic = testTopic('order');
        const handled: string[] = [];
        let failedOnce = false;
        const sub = await bus.subscribe(
          { topic, subscription: 'order', nackRedeliveryDelayMs: 300, maxDeliveries: 0 },
          async (m) => {
            if (m.properties.n === '1' && !failedOnce) {
              failedOnce = true;
              throw new Error('not yet');
            }
            handled.push(`${m.key}:${m.properties.n}`);
          },
        );
        for (const n of [1, 2, 3])
          await bus.publish({ topic, key: 'k', payload: Buffer.from('x'), properties: props(n) });
        await bus.publish({ topic, key: 'other', payload: Buffer.from('x'), properties: props(4) });
        await waitFor(() => handled.length === 4, 20000, 'four messages handled');
        expect(handled.filter((h) => h.startsWith('k:'))).toEqual(['k:1', 'k:2', 'k:3']);
        // The other key did not wait for k's redelivery.
        expect(handled.indexOf('other:4')).toBeLessThan(handled.indexOf('k:1'));
        await sub.close();
      },
    );

    holding(`holds a poison message's key until it is dead-lettered, then runs the key on${notHolding}`, async () => {
      const topic = testTopic('poison-order');
      const deadLetterTopic = `${topic}-dlq`;
      const events: string[] = [];
      const dlqSub = await bus.subscribe(
        { topic: deadLetterTopic, subscription: 'inspect', maxDeliveries: 0 },
        async (m) => {
          events.push(`dead:${m.properties.n}`);
        },
      );
      const sub = await bus.subscribe(
        { topic, subscription: 'poison-order', nackRedeliveryDelayMs: 200, maxDeliveries: 3, deadLetterTopic },
        async (m) => {
          if (m.properties.n === '1') {
            events.push('tried:1');
            throw new Error('poison');
          }
          events.push(`handled:${m.properties.n}`);
        },
      );
      for (const n of [1, 2]) await bus.publish({ topic, key: 'k', payload: Buffer.from('x'), properties: props(n) });
      await waitFor(
        () => events.includes('handled:2') && events.includes('dead:1'),
        30000,
        'the poison dead-lettered and the next handled',
      );
      expect(events.filter((e) => e === 'tried:1')).toHaveLength(3);
      // The key's next message waited for all three tries of the poison.
      expect(events.indexOf('handled:2')).toBeGreaterThan(events.lastIndexOf('tried:1'));
      expect(events.filter((e) => e === 'handled:2')).toHaveLength(1);
      await sub.close();
      await dlqSub.close();
    });

    it('keeps consuming after a handler throws', async () => {
      const topic = testTopic('throws');
      const handled: number[] = [];
      const sub = await bus.subscribe({ topic, subscription: 'throws', nackRedeliveryDelayMs: 200 }, async (m) => {
        const n = Number(m.properties.n);
        if (n === 2 && m.redeliveryCount === 0) throw new Error('transient');
        handled.push(n);
      });
      for (let i = 1; i <= 5; i++)
        await bus.publish({ topic, key: `k${i}`, payload: Buffer.from('x'), properties: props(i) });
      await waitFor(() => handled.length === 5, 15000, 'all five');
      expect([...handled].sort()).toEqual([1, 2, 3, 4, 5]);
      await sub.close();
    });

    const publishAll = async (topic: string, from: number, to: number) => {
      for (let i = from; i < to; i++)
        await bus.publish({ topic, key: `k${i % 3}`, payload: Buffer.from(`p${i}`), properties: props(i) });
    };
    const readAll = async (reader: { next(idleMs: number): Promise<IncomingMessage | undefined> }, idleMs = 1500) => {
      const got: IncomingMessage[] = [];
      for (let m = await reader.next(idleMs); m; m = await reader.next(idleMs)) got.push(m);
      return got;
    };

    it('reads a topic from the earliest message, in order, then what is published after, with no subscription', async () => {
      const topic = testTopic('reader');
      await publishAll(topic, 0, 30);
      const reader = await bus.read({ topic });
      const history = await readAll(reader);
      expect(history.map((m) => Number(m.properties.n))).toEqual([...Array(30).keys()]);
      expect(history[29]?.payload.toString()).toBe('p29');
      expect(history[0]?.key).toBe('k0');
      // Caught up: it answers undefined, and takes what comes next.
      await publishAll(topic, 30, 35);
      const live = await readAll(reader);
      expect(live.map((m) => Number(m.properties.n))).toEqual([30, 31, 32, 33, 34]);
      // A second reader over the same topic reads it all again: readers acknowledge nothing.
      const again = await bus.read({ topic, receiverQueueSize: 7 });
      expect((await readAll(again)).map((m) => m.properties.n)).toHaveLength(35);
      await reader.close();
      await again.close();
      await expect(reader.next(10)).rejects.toThrow(/closed/);
    });

    it('starts a reader after a message it read before, at the end, or from a publish time', async () => {
      const topic = testTopic('reader-start');
      await publishAll(topic, 0, 10);
      const first = await bus.read({ topic });
      const history = await readAll(first);
      await first.close();
      const fifth = defined(history[4], 'the fifth message');
      const resumed = await bus.read({ topic, start: { after: fifth.brokerMessageId } });
      expect((await readAll(resumed)).map((m) => Number(m.properties.n))).toEqual([5, 6, 7, 8, 9]);
      await resumed.close();

      const latest = await bus.read({ topic, start: 'latest' });
      expect(await latest.next(500)).toBeUndefined();
      await new Promise((r) => setTimeout(r, 20));
      const cut = new Date();
      await publishAll(topic, 10, 12);
      expect((await readAll(latest)).map((m) => Number(m.properties.n))).toEqual([10, 11]);
      await latest.close();

      const fromTime = await bus.read({ topic, publishedFrom: cut });
      expect((await readAll(fromTime)).map((m) => Number(m.properties.n))).toEqual([10, 11]);
      await fromTime.close();
    });

    (capabilities.createAt ? it : it.skip)(
      'reads on after its connection drops, nothing twice and nothing skipped (needs a real broker connection)',
      async () => {
        const topic = testTopic('reader-drop');
        await publishAll(topic, 0, 40);
        const proxy = await startCuttableProxy(new URL(BROKER_URL));
        const viaProxy = defined(capabilities.createAt, 'createAt')(proxy.url, 3000);
        try {
          const reader = await viaProxy.read({ topic, receiverQueueSize: 5 });
          const got: number[] = [];
          for (let i = 0; i < 12; i++) got.push(Number(defined(await reader.next(5000), 'a message').properties.n));
          proxy.cut();
          for (let m = await reader.next(4000); m; m = await reader.next(4000)) got.push(Number(m.properties.n));
          expect(got).toEqual([...Array(40).keys()]);
          await reader.close();
        } finally {
          await viaProxy.close();
          await proxy.close();
        }
      },
    );

    (capabilities.topicUnload ? it : it.skip)(
      'loses nothing when the topic is unloaded mid-stream (needs a real broker)',
      async () => {
        const topic = testTopic('unload');
        const got = new Set<string>();
        const sub = await bus.subscribe({ topic, subscription: 'unload' }, async (m) => {
          got.add(defined(m.properties.n, 'property n'));
        });
        const total = 300;
        const sent: Promise<unknown>[] = [];
        for (let i = 0; i < total; i++) {
          // Retry like the outbox would: a send that fails during the unload is sent again.
          const send = async (): Promise<unknown> => {
            for (let attempt = 0; ; attempt++) {
              try {
                return await bus.publish({ topic, key: `k${i % 10}`, payload: Buffer.from('x'), properties: props(i) });
              } catch (error) {
                if (attempt > 20) throw error;
                await new Promise((r) => setTimeout(r, 200));
              }
            }
          };
          sent.push(send());
          if (i === total / 2) {
            const path = topic.replace('persistent://', '');
            const res = await fetch(`${BROKER_URL}/admin/v2/persistent/${path}/unload`, {
              method: 'PUT',
              headers: pulsarAuthHeaders(),
            });
            expect(res.status).toBeLessThan(300);
          }
          if (i % 20 === 0) await new Promise((r) => setTimeout(r, 10));
        }
        await Promise.all(sent);
        await waitFor(() => got.size === total, 60000, `all ${total} messages after the unload`);
        expect(got.size).toBe(total);
        await sub.close();
      },
    );

    (capabilities.createAt ? it : it.skip)(
      'leaves no send hanging when the connection drops, and publishes again after (needs a real broker connection)',
      async () => {
        const proxy = await startCuttableProxy(new URL(BROKER_URL));
        const sendTimeoutMs = 3000;
        const viaProxy = defined(capabilities.createAt, 'createAt')(proxy.url, sendTimeoutMs);
        try {
          const topic = testTopic('drop');
          await viaProxy.publish({ topic, key: 'k', payload: Buffer.from('warm-up'), properties: props(0) });
          const started = Date.now();
          const inFlight = [...Array(200).keys()].map((i) =>
            viaProxy.publish({ topic, key: 'k', payload: Buffer.alloc(1024), properties: props(i) }).then(
              () => 'ok' as const,
              () => 'failed' as const,
            ),
          );
          proxy.cut();
          const outcomes = await Promise.all(inFlight);
          // Every send settled, and none waited past its send timeout (plus scheduling slack).
          expect(outcomes).toHaveLength(200);
          // The cut really hit sends in flight (otherwise this test would prove nothing).
          expect(outcomes).toContain('failed');
          expect(Date.now() - started).toBeLessThan(sendTimeoutMs + 2000);
          const again = await viaProxy.publish({
            topic,
            key: 'k',
            payload: Buffer.from('after'),
            properties: props(999),
          });
          expect(again.brokerMessageId).toBeTruthy();
        } finally {
          await viaProxy.close();
          await proxy.close();
        }
      },
    );
  });
}
