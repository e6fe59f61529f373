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
  send<T extends MessageType>(correlationId: string, startedBy: string, messageType: T, key: string, value: MessageTypes[T]): Promise<Envelope>;
  /** Several commands of one flow (a batch), published in the given order. */
  sendMany<T extends MessageType>(correlationId: string, startedBy: string, messageType: T, items: Array<{ key: string; value: MessageTypes[T] }>): Promise<void>;
}

export function createPublisher(deps: { bus: MessageBus; db: Kysely<Database>; codecs: CodecRegistry; tenant?: string }): Publisher {
  const prepare = (correlationId: string, messageType: MessageType, key: string, value: unknown) => {
    const schemaVersion = deps.codecs.topicOf(messageType).version;
    const envelope = newFlowEnvelope({ messageType, schemaVersion, producer: 'bff', correlationId });
    const message = { topic: topicOfMessage(messageType, deps.tenant), key, payload: deps.codecs.encode(messageType, value), properties: toProperties(envelope) };
    return { envelope, message };
  };
  const unavailable = (error: unknown) => new Problem(503, 'Service Unavailable', `the message broker did not accept the command: ${(error as Error).message}`);
  return {
    async send(correlationId, startedBy, messageType, key, value) {
      const { envelope, message } = prepare(correlationId, messageType, key, value);
      await startOperation(deps.db, envelope, startedBy);
      await deps.bus.publish(message).catch((error: unknown) => {
        throw unavailable(error);
      });
      return envelope;
    },
    async sendMany(correlationId, startedBy, messageType, items) {
      const prepared = items.map((item) => prepare(correlationId, messageType, item.key, item.value));
      if (prepared.length === 0) return;
      await deps.db.transaction().execute(async (trx) => {
        await startOperation(trx, prepared[0]!.envelope, startedBy);
        for (const p of prepared.slice(1)) await recordStep(trx, p.envelope, 'command');
      });
      // Issued in order on one producer connection, so the broker stores them in this order per key.
      await Promise.all(prepared.map((p) => deps.bus.publish(p.message))).catch((error: unknown) => {
        throw unavailable(error);
      });
    },
  };
}

export function accepted(req: Request, res: Response, id: string): void {
  const operation = `/api/v1/operations/${req.correlationId}`;
  res.status(202).setHeader('Location', operation);
  res.json({ id, correlationId: req.correlationId, status: 'accepted', operation });
}
