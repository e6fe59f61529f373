/**
 * Packs: several messages of one topic and one key in one Pulsar message. Under load a consumer's
 * transaction writes many messages for a hot key (a run of commissions of one campaign, ledger
 * entries of one influencer); sent one per Pulsar message, each costs a produce and, per
 * subscription, a delivery and an acknowledgement, whoever reads it (consumers that ignore the type
 * included). Packed, the broker sees one message where there were many.
 *
 * A pack is an ordinary Pulsar message with the property `beacon-pack` (the number of items) whose
 * payload is the Avro record `PACK_SCHEMA`: per item, its own properties (the whole envelope: message
 * id, type, schema version, correlation and causation ids) and its own payload (the Avro bytes of the
 * topic's schema). So every item keeps its identity: the inbox deduplicates items, not packs. A single
 * message is never packed: at idle, and whenever a key has one message to send, the topic carries
 * exactly what it carried before packs.
 *
 * Readers outside the fleet decode a pack with `PACK_SCHEMA` (published here and in the README), or
 * through `unpack()`; a deployment whose readers cannot is run with packing off (`OUTBOX_PACK_MAX=1`).
 */
import avro from 'avsc';
import type { IncomingMessage, OutgoingMessage } from './bus.js';

export const PACK_PROPERTY = 'beacon-pack';

/** The payload of a pack. */
export const PACK_SCHEMA = {
  type: 'record',
  name: 'Pack',
  namespace: 'beacon.messaging',
  fields: [
    {
      name: 'items',
      type: {
        type: 'array',
        items: {
          type: 'record',
          name: 'PackedMessage',
          fields: [
            { name: 'properties', type: { type: 'map', values: 'string' } },
            { name: 'payload', type: 'bytes' },
          ],
        },
      },
    },
  ],
} as const;

const packType = avro.Type.forSchema(PACK_SCHEMA as unknown as avro.Schema);

interface PackedMessage {
  properties: Record<string, string>;
  payload: Buffer;
}

export class PackError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PackError';
  }
}

export interface PackLimits {
  /** Items per pack; 1 turns packing off. */
  maxMessages: number;
  /** Payload bytes per pack, well under the WebSocket frame's ~768 KB of payload. */
  maxBytes: number;
}

export const DEFAULT_PACK_LIMITS: PackLimits = { maxMessages: 100, maxBytes: 256 * 1024 };

/**
 * Whether a message's properties survive a pack: avsc reads an Avro map into a plain object, where a
 * `__proto__` key is lost. Such a message is sent alone (found by the round-trip property test).
 */
export const packable = (m: Pick<OutgoingMessage, 'properties'>): boolean => !Object.hasOwn(m.properties, '__proto__');

/** One Pulsar message holding `messages`, which share a topic and a key (one message stays as it is). */
export function pack(messages: OutgoingMessage[]): OutgoingMessage {
  const [first] = messages;
  if (!first) throw new PackError('an empty pack');
  if (messages.length === 1) return first;
  for (const m of messages)
    if (m.topic !== first.topic || m.key !== first.key) throw new PackError('a pack holds one topic and one key');
  if (!messages.every(packable)) throw new PackError('a property named __proto__ cannot travel in a pack');
  const items: PackedMessage[] = messages.map((m) => ({ properties: m.properties, payload: m.payload }));
  return {
    topic: first.topic,
    key: first.key,
    payload: packType.toBuffer({ items }),
    properties: { [PACK_PROPERTY]: String(messages.length) },
  };
}

/**
 * Splits rows of one topic and key, in order, into consecutive runs that each fit one pack. Bytes
 * counted are payloads plus properties, roughly what the pack's payload will hold.
 */
export function chunkForPacks<T>(rows: T[], messageOf: (row: T) => OutgoingMessage, limits: PackLimits): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const row of rows) {
    const m = messageOf(row);
    let size = m.payload.length;
    for (const [k, v] of Object.entries(m.properties)) size += k.length + v.length + 2;
    const alone = !packable(m) || (current[0] !== undefined && !packable(messageOf(current[0])));
    if (current.length > 0 && (alone || current.length >= limits.maxMessages || bytes + size > limits.maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(row);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

export const isPack = (message: Pick<IncomingMessage, 'properties'>): boolean =>
  message.properties[PACK_PROPERTY] !== undefined;

/**
 * The messages a delivery holds: itself, or a pack's items, each with its own properties and payload
 * and the pack's broker id, key and delivery facts. Throws PackError when a pack cannot be read.
 */
export function unpack(message: IncomingMessage): IncomingMessage[] {
  if (!isPack(message)) return [message];
  let decoded: { items: PackedMessage[] };
  try {
    decoded = packType.fromBuffer(message.payload) as { items: PackedMessage[] };
  } catch (error) {
    throw new PackError(`an unreadable pack: ${(error as Error).message}`);
  }
  const declared = Number(message.properties[PACK_PROPERTY]);
  if (decoded.items.length !== declared)
    throw new PackError(`a pack declares ${declared} items and holds ${decoded.items.length}`);
  return decoded.items.map((item) => ({ ...message, properties: item.properties, payload: item.payload }));
}
