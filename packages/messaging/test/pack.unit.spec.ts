import fc from 'fast-check';
import type { IncomingMessage, OutgoingMessage } from '../src/bus.js';
import { chunkForPacks, pack, PACK_PROPERTY, PackError, unpack } from '../src/pack.js';

const topic = 'persistent://beacon/commission/events';

const message = (n: number, payloadBytes = 10): OutgoingMessage => ({
  topic,
  key: 'campaign-1',
  payload: Buffer.alloc(payloadBytes, n),
  properties: { 'message-id': `m-${n}`, 'message-type': 'commission.CommissionCalculated' },
});

/** What a consumer receives for a message the broker stored. */
const delivered = (m: OutgoingMessage): IncomingMessage => ({
  topic: m.topic,
  brokerMessageId: 'broker-1',
  key: m.key,
  payload: m.payload,
  properties: m.properties,
  redeliveryCount: 0,
  publishTime: '2026-12-02T00:00:00Z',
});

describe('packs: many messages of one key in one Pulsar message', () => {
  it('sends a message with a property named __proto__ alone, and refuses to pack it', () => {
    const odd = {
      topic,
      key: 'k',
      payload: Buffer.from('x'),
      properties: JSON.parse('{"__proto__":"v"}') as Record<string, string>,
    };
    const plain = { topic, key: 'k', payload: Buffer.from('y'), properties: { a: '1' } };
    const limits = { maxMessages: 100, maxBytes: 1 << 20 };
    expect(chunkForPacks([plain, plain, odd, plain], (m) => m, limits)).toEqual([[plain, plain], [odd], [plain]]);
    expect(() => pack([plain, odd])).toThrow(/__proto__/);
    expect(pack([odd])).toBe(odd);
  });

  it('a consumer gets back every item, in order, with its own properties and payload', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            payload: fc.uint8Array({ maxLength: 64 }),
            // `__proto__` cannot travel in a pack: such a message goes alone (the test below).
            properties: fc.dictionary(
              fc.string({ minLength: 1 }).filter((k) => k !== '__proto__'),
              fc.string(),
            ),
          }),
          { minLength: 2, maxLength: 30 },
        ),
        (items) => {
          const messages = items.map((i) => ({
            topic,
            key: 'k',
            payload: Buffer.from(i.payload),
            properties: i.properties,
          }));
          const packed = pack(messages);
          expect(packed.properties).toEqual({ [PACK_PROPERTY]: String(messages.length) });
          const opened = unpack(delivered(packed));
          expect(opened.map((o) => ({ payload: o.payload, properties: o.properties }))).toEqual(
            messages.map((m) => ({ payload: m.payload, properties: m.properties })),
          );
          expect(opened.every((o) => o.brokerMessageId === 'broker-1' && o.key === 'k')).toBe(true);
        },
      ),
    );
  });

  it('a single message is sent as it is, and a message that is no pack is delivered as it is', () => {
    const one = message(1);
    expect(pack([one])).toBe(one);
    expect(unpack(delivered(one))).toEqual([delivered(one)]);
  });

  it('refuses to pack two keys or two topics together', () => {
    expect(() => pack([message(1), { ...message(2), key: 'campaign-2' }])).toThrow(PackError);
    expect(() => pack([message(1), { ...message(2), topic: `${topic}-other` }])).toThrow(PackError);
  });

  it('an unreadable pack, or one holding fewer items than it declares, is an error, not an empty delivery', () => {
    const packed = pack([message(1), message(2)]);
    expect(() => unpack(delivered({ ...packed, payload: Buffer.from([0xff, 0xff, 0xff]) }))).toThrow(PackError);
    expect(() => unpack(delivered({ ...packed, properties: { [PACK_PROPERTY]: '3' } }))).toThrow(/declares 3/);
  });

  it('splits a key’s rows into consecutive packs within the count and byte limits', () => {
    const rows = Array.from({ length: 7 }, (_, n) => message(n, 100));
    const byCount = chunkForPacks(rows, (m) => m, { maxMessages: 3, maxBytes: 1e9 });
    expect(byCount.map((c) => c.length)).toEqual([3, 3, 1]);
    expect(byCount.flat()).toEqual(rows);
    // Each message is 100 bytes of payload and 60 of properties: two fit in 400 bytes, three do not.
    const byBytes = chunkForPacks(rows, (m) => m, { maxMessages: 100, maxBytes: 400 });
    expect(byBytes.map((c) => c.length)).toEqual([2, 2, 2, 1]);
    // A message larger than the limit still goes, alone.
    expect(chunkForPacks([message(1, 1000)], (m) => m, { maxMessages: 100, maxBytes: 400 })).toHaveLength(1);
  });
});
