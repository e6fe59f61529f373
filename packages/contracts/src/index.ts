/**
 * Beacon's message contracts: the generated types, the codecs built from schemas/, topic names,
 * and registration of each topic's schema in Pulsar's schema registry.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CodecRegistry, loadTopicSchemas, pulsarAuthHeaders, pulsarTopic, type AvroSchema } from '@beacon/messaging';
import type { Handler, HandlerContext, HandlerMap } from '@beacon/messaging';
import type { MessageTypes } from './generated.js';

export * from './generated.js';
export * from './columns.js';
export * from './access.js';
export * from './upcast.js';
export * from './retention.js';

// SCHEMAS_DIR: where a bundled service (pnpm build) finds them beside itself.
const schemasDir = process.env.SCHEMAS_DIR ?? join(dirname(fileURLToPath(import.meta.url)), '../../../schemas');
let registry: CodecRegistry | undefined;

export function codecs(): CodecRegistry {
  registry ??= new CodecRegistry(loadTopicSchemas(schemasDir));
  return registry;
}

/** The schema registry answered with an error status; 4xx will not get better by asking again. */
export class SchemaRegistryError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

function adminPath(topic: string): string {
  return topic.replace(/^persistent:\/\//, '');
}

export interface RegistryAccess {
  tenant?: string;
  /** The caller's Pulsar token (default PULSAR_TOKEN / PULSAR_TOKEN_FILE). */
  token?: string;
  /** Only these topics (schema names); default every topic of the registry. */
  topics?: readonly string[];
}

const topicsOf = (registryToUse: CodecRegistry, only?: readonly string[]) =>
  registryToUse.topics.filter((t) => !only || only.includes(t.name));

/**
 * Uploads topics' schemas to Pulsar's schema registry so operators can see them (a service uploads
 * those of the topics it produces to; set-up uploads them all). Uploading the same schema again is a
 * no-op on the broker; an incompatible one is refused with 409.
 */
export async function registerSchemas(
  adminUrl: string,
  registryToUse: CodecRegistry = codecs(),
  access: RegistryAccess = {},
): Promise<void> {
  for (const topic of topicsOf(registryToUse, access.topics)) {
    const url = `${adminUrl}/admin/v2/schemas/${adminPath(pulsarTopic(topic.name, access.tenant))}/schema`;
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...pulsarAuthHeaders(access.token) },
      body: JSON.stringify({
        type: 'AVRO',
        schema: JSON.stringify(topic.schema),
        properties: { 'schema-version': topic.version },
      }),
    });
    if (!response.ok) {
      throw new SchemaRegistryError(
        `registering the schema of ${topic.name} failed: HTTP ${response.status} ${await response.text()}`,
        response.status,
      );
    }
  }
}

/** Teaches the codecs every schema version in Pulsar's registry, so older writers can still be read. */
export async function loadRegisteredWriterSchemas(
  adminUrl: string,
  registryToUse: CodecRegistry = codecs(),
  access: RegistryAccess = {},
): Promise<number> {
  let learned = 0;
  for (const topic of topicsOf(registryToUse, access.topics)) {
    const response = await fetch(
      `${adminUrl}/admin/v2/schemas/${adminPath(pulsarTopic(topic.name, access.tenant))}/schemas`,
      { headers: pulsarAuthHeaders(access.token) },
    );
    if (response.status === 404) continue;
    if (!response.ok) {
      throw new SchemaRegistryError(
        `reading the schemas of ${topic.name} failed: HTTP ${response.status}`,
        response.status,
      );
    }
    const body = (await response.json()) as { getSchemaResponses?: Array<{ data: string }> };
    for (const entry of body.getSchemaResponses ?? []) {
      registryToUse.addWriterSchema(topic.name, JSON.parse(entry.data) as AvroSchema);
      learned++;
    }
  }
  return learned;
}

/** A handler of one of Beacon's messages: its message and everything it emits are checked against the contracts. */
export type MessageHandler<DB, M> = Handler<DB, M, MessageTypes>;
/** Handlers by message type, each taking that type's own message. */
export type MessageHandlers<DB> = HandlerMap<DB, MessageTypes>;
/** What a handler of Beacon's messages is given; `emit` is checked against the contracts. */
export type MessageContext<DB, M = unknown> = HandlerContext<DB, M, MessageTypes>;
export * from './outcomes.js';
