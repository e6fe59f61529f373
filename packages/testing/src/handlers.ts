/**
 * Runs a service's handlers directly on a real database, the way runHandlers would (one
 * transaction per message, inbox claim first), collecting what they emit instead of publishing it.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import pino from 'pino';
import { claim, type Handler, type HandlerContext, type HandlerMap, type MessagingTables } from '@beacon/messaging';
import { defined } from '@beacon/domain';

export interface Emitted {
  type: string;
  key: string;
  value: unknown;
  /** set when the handler named the flow (a batch item's correlation id) */
  correlationId?: string;
}

export async function deliver<DB extends MessagingTables, Types extends object, T extends keyof Types & string>(
  db: Kysely<DB>,
  handlers: HandlerMap<DB, Types>,
  messageType: T,
  message: Types[T],
  options: { messageId?: string; subscription?: string } = {},
): Promise<Emitted[]> {
  const emitted: Emitted[] = [];
  const messageId = options.messageId ?? randomUUID();
  const envelope = {
    messageId,
    messageType,
    schemaVersion: 'test',
    correlationId: randomUUID(),
    causationId: '',
    occurredAt: new Date().toISOString(),
    producer: 'test',
  };
  const handler = defined<Handler<DB, Types[T], Types>>(handlers[messageType], `a handler for ${messageType}`);
  const prepared = handler.prepare ? await handler.prepare(message, envelope) : undefined;
  await db.transaction().execute(async (trx) => {
    if (!(await claim(trx, options.subscription ?? 'test', messageId, messageType))) return;
    await handler({
      trx,
      message,
      envelope,
      prepared,
      log: pino({ level: 'silent' }),
      emit: async (type, key, value, emitOptions) => {
        emitted.push({
          type,
          key,
          value,
          ...(emitOptions?.correlationId ? { correlationId: emitOptions.correlationId } : {}),
        });
        return { ...envelope, messageId: randomUUID(), messageType: type, causationId: messageId };
      },
    });
  });
  return emitted;
}

/**
 * Delivers messages of one type as one key's batch does: one transaction, and the handler's `many`
 * (aggregated writes) when it has one, else the handler on each in turn. Returns what each emitted.
 */
export async function deliverMany<DB extends MessagingTables, Types extends object, T extends keyof Types & string>(
  db: Kysely<DB>,
  handlers: HandlerMap<DB, Types>,
  messageType: T,
  messages: Array<Types[T]>,
  options: { correlationIds?: string[] } = {},
): Promise<Emitted[]> {
  const emitted: Emitted[] = [];
  const handler = defined<Handler<DB, Types[T], Types>>(handlers[messageType], `a handler for ${messageType}`);
  await db.transaction().execute(async (trx) => {
    const contexts = messages.map((message, i) => {
      const messageId = randomUUID();
      const envelope = {
        messageId,
        messageType,
        schemaVersion: 'test',
        correlationId: options.correlationIds?.[i] ?? randomUUID(),
        causationId: '',
        occurredAt: new Date().toISOString(),
        producer: 'test',
      };
      return {
        trx,
        message,
        envelope,
        log: pino({ level: 'silent' }),
        emit: async (type: string, key: string, value: unknown) => {
          emitted.push({ type, key, value });
          return { ...envelope, messageId: randomUUID(), messageType: type, causationId: messageId };
        },
      } as unknown as HandlerContext<DB, Types[T], Types>;
    });
    if (handler.many) await handler.many(contexts);
    else for (const ctx of contexts) await handler(ctx);
  });
  return emitted;
}
