/** Commands leave the BFF straight for Pulsar: the broker's ack is the durability point (architecture.md). */
import type { Request, Response } from 'express';
import type { Kysely } from 'kysely';
import type { MessageType, MessageTypes } from '@beacon/contracts';
import {
  buildMessage,
  type CodecRegistry,
  type Envelope,
  type MessageBus,
  type OutgoingMessage,
} from '@beacon/messaging';
import type { z } from 'zod';
import type { Accepted } from './http/contract.js';
import type { Database } from './db.js';
import { Problem } from './http/problems.js';
import { BROKER_UNAVAILABLE, claimOperation, failOperation } from './operations/claims.js';
import { recordStep } from './operations/steps.js';
import { NO_CALLER, principalOf, type Caller } from './http/jwt.js';

/** Who sends a command and the correlation id it asks for; the flow claimed may have another (claims.ts). */
export interface CommandSource {
  readonly correlationId: string;
  /** Absent for a flow no caller started (a public link's click): its operation belongs to no one. */
  caller?: Caller;
}

/** The owner an operation records for its source. */
export const startedByOf = (source: CommandSource): string => (source.caller ? principalOf(source.caller) : NO_CALLER);

export interface Publisher {
  /**
   * Claims the operation for the caller, records the command as its first step, publishes it. The
   * envelope names the flow claimed: its correlation id is the one to answer with.
   */
  send<T extends MessageType>(
    source: CommandSource,
    messageType: T,
    key: string,
    value: MessageTypes[T],
  ): Promise<Envelope>;
}

/** What a client sees when the broker did not take a command; the cause (with its addresses) stays in the log. */
const unavailable = () =>
  new Problem(
    503,
    'Service Unavailable',
    'the message broker did not accept the command; retry with the same Idempotency-Key',
  );

export function createPublisher(deps: {
  bus: MessageBus;
  db: Kysely<Database>;
  codecs: CodecRegistry;
  tenant?: string;
  onError?: (error: unknown) => void;
}): Publisher {
  const prepare = (correlationId: string, messageType: MessageType, key: string, value: unknown) =>
    buildMessage(deps.codecs, { messageType, key, value, producer: 'bff', correlationId, tenant: deps.tenant });
  const publishAll = async (correlationId: string, messages: OutgoingMessage[]) => {
    try {
      // Issued in order on one producer connection, so the broker stores them in this order per key.
      await Promise.all(messages.map((m) => deps.bus.publish(m)));
    } catch (error) {
      deps.onError?.(error);
      await failOperation(deps.db, correlationId, BROKER_UNAVAILABLE);
      throw unavailable().inFlow(correlationId);
    }
  };
  return {
    async send(source, messageType, key, value) {
      const flow = { correlationId: source.correlationId, startedBy: startedByOf(source) };
      const correlationId = await claimOperation(deps.db, flow, messageType);
      const { envelope, message } = prepare(correlationId, messageType, key, value);
      await recordStep(deps.db, envelope, 'command');
      await publishAll(correlationId, [message]);
      return envelope;
    },
  };
}

/** Points the client at the flow's operation (Location, X-Correlation-ID); returns its path. */
export function followOperation(res: Response, correlationId: string): string {
  const operation = `/api/v1/operations/${correlationId}`;
  res.setHeader('Location', operation);
  res.setHeader('X-Correlation-ID', correlationId);
  return operation;
}

/** A command's answer: 202 with the operation to follow (Location); the body names the entity. */
export function accepted(res: Response, correlationId: string, id: string): z.input<typeof Accepted> {
  const operation = followOperation(res, correlationId);
  return { id, correlationId, status: 'accepted', operation };
}

/** Sends one command for the request and answers 202 naming `id` (the command's key unless said). */
export async function acceptCommand<T extends MessageType>(
  publisher: Publisher,
  req: Request,
  res: Response,
  command: { type: T; key: string; value: MessageTypes[T]; id?: string },
): Promise<z.input<typeof Accepted>> {
  const envelope = await publisher.send(req, command.type, command.key, command.value);
  return accepted(res, envelope.correlationId, command.id ?? command.key);
}
