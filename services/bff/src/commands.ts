/** Commands leave the BFF straight for Pulsar: the broker's ack is the durability point (architecture.md). */
import type { Request, Response } from 'express';
import type { Kysely } from 'kysely';
import { topicOfMessage, type MessageType, type MessageTypes } from '@beacon/contracts';
import { newFlowEnvelope, toProperties, type CodecRegistry, type Envelope, type MessageBus } from '@beacon/messaging';
import type { Database } from './db.js';
import { Problem } from './http.js';
import { recordStep, startOperation } from './operations.js';

export interface Publisher {
  /** Records the command as the first step of its operation, then publishes it. */
  send<T extends MessageType>(correlationId: string, startedBy: string, messageType: T, key: string, value: MessageTypes[T], opts?: { first?: boolean }): Promise<Envelope>;
}

export function createPublisher(deps: { bus: MessageBus; db: Kysely<Database>; codecs: CodecRegistry; tenant?: string }): Publisher {
  return {
    async send(correlationId, startedBy, messageType, key, value, opts = {}) {
      const schemaVersion = deps.codecs.topicOf(messageType).version;
      const envelope = newFlowEnvelope({ messageType, schemaVersion, producer: 'bff', correlationId });
      const payload = deps.codecs.encode(messageType, value);
      if (opts.first === false) await recordStep(deps.db, envelope, 'command');
      else await startOperation(deps.db, envelope, startedBy);
      try {
        await deps.bus.publish({ topic: topicOfMessage(messageType, deps.tenant), key, payload, properties: toProperties(envelope) });
      } catch (error) {
        throw new Problem(503, 'Service Unavailable', `the message broker did not accept the command: ${(error as Error).message}`);
      }
      return envelope;
    },
  };
}

export function accepted(req: Request, res: Response, id: string): void {
  const operation = `/api/v1/operations/${req.correlationId}`;
  res.status(202).setHeader('Location', operation);
  res.json({ id, correlationId: req.correlationId, status: 'accepted', operation });
}
