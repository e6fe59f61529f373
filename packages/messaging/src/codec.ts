/**
 * Avro codecs for Beacon topics. One `.avsc` file describes one topic: a record whose single
 * field `payload` is the union of the message types the topic carries (Pulsar's registry refuses
 * a top-level union). A record named `beacon.<context>.<Name>` has message type `<context>.<Name>`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import avro from 'avsc';
import { defined } from '@beacon/domain';

export type AvroSchema = Record<string, unknown>;

export interface TopicSchema {
  /** `<context>/<kind>` from the file path, e.g. `campaign/commands` */
  name: string;
  file: string;
  schema: AvroSchema;
  type: avro.Type;
  /** sha256 fingerprint (hex, first 16) of the canonical topic schema: the `schema-version` header */
  version: string;
  /** message type → fully qualified Avro record name */
  messageTypes: Map<string, string>;
  /** avsc leaves a one-branch union unwrapped: the payload is then the record itself */
  wrapped: boolean;
}

export class CodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CodecError';
  }
}

export function messageTypeOf(recordFullName: string): string {
  const parts = recordFullName.split('.');
  if (parts.length < 3 || parts[0] !== 'beacon')
    throw new CodecError(`record ${recordFullName} is not beacon.<context>.<Name>`);
  return `${parts[1]}.${parts.slice(2).join('.')}`;
}

/**
 * Avro longs as JavaScript bigints: money in minor units stays exact above 2^53 (avsc's default long
 * refuses such values). Every long in Beacon's schemas is an amount.
 */
export const bigintLong = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
  toBuffer: (n: bigint) => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(n);
    return buf;
  },
  fromJSON: (json: unknown) => BigInt(json as string | number),
  toJSON: (n: bigint) => n.toString(),
  isValid: (n: unknown) => typeof n === 'bigint',
  compare: (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0),
});

/** Parses an Avro schema the way every Beacon codec does (longs as bigints). */
export function avroType(schema: unknown): avro.Type {
  return avro.Type.forSchema(schema as avro.Schema, { registry: { long: bigintLong } });
}

export function parseTopicSchema(name: string, file: string, text: string): TopicSchema {
  const schema = JSON.parse(text) as AvroSchema;
  const type = avroType(schema);
  if (!(type instanceof avro.types.RecordType)) throw new CodecError(`${file}: top level must be a record`);
  const payload = type.fields.find((f) => f.name === 'payload');
  if (!payload || type.fields.length !== 1)
    throw new CodecError(`${file}: the record must have exactly one field, "payload"`);
  const union = payload.type as avro.Type & { types?: avro.Type[] };
  const branches = union.types ?? [payload.type];
  const messageTypes = new Map<string, string>();
  for (const branch of branches) {
    if (!(branch instanceof avro.types.RecordType) || !branch.name)
      throw new CodecError(`${file}: every payload branch must be a named record`);
    messageTypes.set(messageTypeOf(branch.name), branch.name);
  }
  const version = type.fingerprint('sha256').toString('hex').slice(0, 16);
  const wrapped = (payload.type as avro.Type & { typeName?: string }).typeName === 'union:wrapped';
  return { name, file, schema, type, version, messageTypes, wrapped };
}

/** Reads every `<context>/<kind>.avsc` under `dir`. */
export function loadTopicSchemas(dir: string): TopicSchema[] {
  const found: TopicSchema[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d).sort()) {
      const path = join(d, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (entry.endsWith('.avsc')) {
        const name = relative(dir, path)
          .replace(/\.avsc$/, '')
          .split('\\')
          .join('/');
        found.push(parseTopicSchema(name, path, readFileSync(path, 'utf8')));
      }
    }
  };
  walk(dir);
  return found;
}

export interface Decoded<T = unknown> {
  messageType: string;
  value: T;
}

/** Encodes and decodes the messages of every topic, by message type. */
export class CodecRegistry {
  private readonly byMessageType = new Map<string, TopicSchema>();
  /** Older writer schemas seen in Pulsar's registry, by version, with a resolver to today's reader. */
  private readonly writers = new Map<string, avro.Resolver>();

  constructor(readonly topics: TopicSchema[]) {
    for (const topic of topics) {
      for (const messageType of topic.messageTypes.keys()) {
        if (this.byMessageType.has(messageType)) throw new CodecError(`message type ${messageType} is in two topics`);
        this.byMessageType.set(messageType, topic);
      }
    }
  }

  topicOf(messageType: string): TopicSchema {
    const topic = this.byMessageType.get(messageType);
    if (!topic) throw new CodecError(`unknown message type ${messageType}`);
    return topic;
  }

  encode(messageType: string, value: unknown): Buffer {
    const topic = this.topicOf(messageType);
    const record = {
      payload: topic.wrapped
        ? { [defined(topic.messageTypes.get(messageType), `${messageType}'s union branch`)]: value }
        : value,
    };
    const errors: string[] = [];
    if (!topic.type.isValid(record, { errorHook: (path) => errors.push(path.join('.')) })) {
      throw new CodecError(`${messageType} does not match its schema at: ${errors.join(', ')}`);
    }
    return topic.type.toBuffer(record);
  }

  /** Teaches the registry an older (or newer) writer schema of a topic, e.g. read from Pulsar's registry. */
  addWriterSchema(topicName: string, schema: AvroSchema): string {
    const topic = this.topics.find((t) => t.name === topicName);
    if (!topic) throw new CodecError(`unknown topic schema ${topicName}`);
    const writer = avroType(schema);
    const version = writer.fingerprint('sha256').toString('hex').slice(0, 16);
    if (version !== topic.version) this.writers.set(version, topic.type.createResolver(writer));
    return version;
  }

  /**
   * Decodes a payload. One written with another schema version is resolved through that writer's
   * schema when known (addWriterSchema) and refused otherwise, never misread.
   */
  decode<T = unknown>(messageType: string, schemaVersion: string, payload: Buffer): Decoded<T> {
    const topic = this.topicOf(messageType);
    const resolver = schemaVersion === topic.version ? undefined : this.writers.get(schemaVersion);
    if (schemaVersion !== topic.version && !resolver) {
      throw new CodecError(
        `${messageType} was written with schema ${schemaVersion}; this reader knows ${topic.version}`,
      );
    }
    let record: { payload: Record<string, unknown> };
    try {
      record = topic.type.fromBuffer(payload, resolver) as typeof record;
    } catch (error) {
      throw new CodecError(`${messageType}: payload is not valid Avro for its schema (${(error as Error).message})`);
    }
    const [branch, value] = topic.wrapped
      ? (Object.entries(record.payload)[0] ?? [])
      : [topic.messageTypes.values().next().value, record.payload];
    if (!branch || messageTypeOf(branch) !== messageType) {
      throw new CodecError(`payload holds ${branch ?? 'nothing'} but the header says ${messageType}`);
    }
    return { messageType, value: value as T };
  }
}

/** `campaign/events` → `persistent://beacon/campaign/events` */
export function pulsarTopic(schemaName: string, tenant = process.env.PULSAR_TENANT ?? 'beacon'): string {
  return `persistent://${tenant}/${schemaName}`;
}
