/**
 * The Beacon envelope: message headers carried as Pulsar message properties (architecture.md).
 * The aggregate id travels as the message key, not here.
 */
import { randomUUID } from 'node:crypto';

export const Header = {
  messageId: 'message-id',
  messageType: 'message-type',
  schemaVersion: 'schema-version',
  correlationId: 'correlation-id',
  causationId: 'causation-id',
  occurredAt: 'occurred-at',
  producer: 'producer',
} as const;

export interface Envelope {
  messageId: string;
  /** `<context>.<Name>`, e.g. campaign.CampaignCreated */
  messageType: string;
  schemaVersion: string;
  correlationId: string;
  /** message-id of the message that caused this one; empty for a flow's first message */
  causationId: string;
  occurredAt: string;
  producer: string;
}

export function toProperties(envelope: Envelope): Record<string, string> {
  return {
    [Header.messageId]: envelope.messageId,
    [Header.messageType]: envelope.messageType,
    [Header.schemaVersion]: envelope.schemaVersion,
    [Header.correlationId]: envelope.correlationId,
    [Header.causationId]: envelope.causationId,
    [Header.occurredAt]: envelope.occurredAt,
    [Header.producer]: envelope.producer,
  };
}

export class EnvelopeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnvelopeError';
  }
}

/** Reads the envelope back; throws EnvelopeError when a required header is missing. */
export function fromProperties(properties: Record<string, string>): Envelope {
  const read = (name: string, required = true): string => {
    const value = properties[name];
    if (value === undefined || (required && value === '')) {
      throw new EnvelopeError(`message has no "${name}" property`);
    }
    return value;
  };
  return {
    messageId: read(Header.messageId),
    messageType: read(Header.messageType),
    schemaVersion: read(Header.schemaVersion),
    correlationId: read(Header.correlationId),
    causationId: properties[Header.causationId] ?? '',
    occurredAt: read(Header.occurredAt),
    producer: read(Header.producer),
  };
}

/** Envelope for the first message of a flow (born at the BFF or a script). */
export function newFlowEnvelope(input: {
  messageType: string;
  schemaVersion: string;
  producer: string;
  correlationId?: string;
  occurredAt?: Date;
}): Envelope {
  const messageId = randomUUID();
  return {
    messageId,
    messageType: input.messageType,
    schemaVersion: input.schemaVersion,
    correlationId: input.correlationId ?? randomUUID(),
    causationId: '',
    occurredAt: (input.occurredAt ?? new Date()).toISOString(),
    producer: input.producer,
  };
}

/** Envelope for a message caused by `cause`: same correlation id, causation = cause's message id. */
export function causedBy(
  cause: Pick<Envelope, 'messageId' | 'correlationId'>,
  input: { messageType: string; schemaVersion: string; producer: string; occurredAt?: Date },
): Envelope {
  return {
    messageId: randomUUID(),
    messageType: input.messageType,
    schemaVersion: input.schemaVersion,
    correlationId: cause.correlationId,
    causationId: cause.messageId,
    occurredAt: (input.occurredAt ?? new Date()).toISOString(),
    producer: input.producer,
  };
}
