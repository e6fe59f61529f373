/**
 * The one way to build a message: its envelope (a flow's first message, or one caused by another),
 * its topic and schema version from the codec registry, its Avro payload, its properties. Handlers'
 * `emit`, scripts' `sendInTransaction`, and the BFF's commands and tracking batches all build here.
 */
import type { OutgoingMessage } from './bus.js';
import { pulsarTopic, type CodecRegistry } from './codec.js';
import { causedBy, newFlowEnvelope, toProperties, type Envelope } from './envelope.js';

export interface MessageSpec {
  /** `<context>.<Name>`: names the topic (by the registry) and the schema that encodes `value` */
  messageType: string;
  /** the aggregate id: Key_Shared keeps order per key */
  key: string;
  value: unknown;
  /** the service that sends it */
  producer: string;
  /** the message that caused this one: same flow, causation = its id; absent for a flow's first message */
  cause?: Pick<Envelope, 'messageId' | 'correlationId'>;
  /** a flow's first message: its correlation id (default a new one) */
  correlationId?: string;
  tenant?: string;
}

export function buildMessage(
  codecs: CodecRegistry,
  spec: MessageSpec,
): { envelope: Envelope; message: OutgoingMessage } {
  const topic = codecs.topicOf(spec.messageType);
  const input = { messageType: spec.messageType, schemaVersion: topic.version, producer: spec.producer };
  const envelope = spec.cause
    ? causedBy(spec.cause, input)
    : newFlowEnvelope({ ...input, correlationId: spec.correlationId });
  return {
    envelope,
    message: {
      topic: pulsarTopic(topic.name, spec.tenant),
      key: spec.key,
      payload: codecs.encode(spec.messageType, spec.value),
      properties: toProperties(envelope),
    },
  };
}
