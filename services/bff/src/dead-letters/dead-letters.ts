/**
 * A message that no handler could take ends in a dead-letter topic, and without a watcher its flow
 * would look pending forever. The BFF watches every dead-letter topic of the fleet (under its own
 * subscription name, so its inbox does not mistake a dead-lettered copy for the original it already
 * projected) and fails the flow's pending operation with the reason.
 */
import {
  codecs,
  DEAD_LETTER_SUBSCRIPTION,
  deadLetterTopicOf,
  FLEET_SUBSCRIPTIONS,
  MESSAGE_TOPICS,
  type RecordTrackingEvents,
  type TrackingEventsRecorded,
  type MessageHandler,
  type MessageType,
} from '@beacon/contracts';
import { Router } from 'express';
import type { Kysely } from 'kysely';
import type { Envelope } from '@beacon/messaging';
import type { SubscriptionDefinition } from '@beacon/service-kit';
import type { Database } from '../db.js';
import { deadLetterEndpoints } from './contract.js';
import { mount } from '../http/endpoint.js';
import { failOperation } from '../operations/claims.js';

/**
 * A tracking batch carries the flows of many requests: they all fail with it. Its payload is read
 * if it can be; an unreadable one (the usual reason for a dead letter) fails the envelope's flow only.
 */
function flowsOfBatch(envelope: Envelope, payload: Buffer): string[] {
  try {
    if (envelope.messageType === 'tracking.RecordTrackingEvents') {
      return [
        ...new Set(
          (
            codecs().decode(envelope.messageType, envelope.schemaVersion, payload).value as RecordTrackingEvents
          ).items.map((i) => i.correlationId),
        ),
      ];
    }
    if (envelope.messageType === 'tracking.TrackingEventsRecorded') {
      const batch = codecs().decode(envelope.messageType, envelope.schemaVersion, payload)
        .value as TrackingEventsRecorded;
      return [...new Set([...batch.recorded, ...batch.ignored].map((i) => i.correlationId))];
    }
  } catch {
    // unreadable: the envelope is all there is
  }
  return [envelope.correlationId];
}

export function deadLetterSubscriptions(
  onDeadLetter?: (messageType: string) => void,
): SubscriptionDefinition<Database>[] {
  return FLEET_SUBSCRIPTIONS.map(({ topic, service }) => {
    const handlers: Partial<Record<MessageType, MessageHandler<Database, unknown>>> = {};
    for (const [type, schema] of Object.entries(MESSAGE_TOPICS) as Array<[MessageType, string]>) {
      if (schema !== topic) continue;
      handlers[type] = async ({ trx, envelope, log, payload }) => {
        const flows = payload ? flowsOfBatch(envelope, payload) : [envelope.correlationId];
        log.warn({ deadLetteredBy: service, flows: flows.length }, 'a message of this flow was dead-lettered');
        await failOperation(trx, flows, `DEAD_LETTERED: ${service} could not handle ${envelope.messageType}`);
        await trx
          .insertInto('dead_letters')
          .values({
            topic,
            service,
            message_id: envelope.messageId,
            message_type: envelope.messageType,
            correlation_id: envelope.correlationId,
          })
          .onConflict((oc) => oc.doNothing())
          .execute();
        onDeadLetter?.(envelope.messageType);
      };
    }
    return {
      topic: deadLetterTopicOf(topic, service),
      handlers,
      subscriptionName: DEAD_LETTER_SUBSCRIPTION,
      maxDeliveries: 0,
      envelopeOnly: true,
    };
  });
}

export interface DeadLetterCount {
  topic: string;
  service: string;
  count: number;
  latest: Array<{ messageId: string; messageType: string; correlationId: string; seenAt: string }>;
}

/** Every (topic, service) pair with how many of its messages were dead-lettered, and the latest few. */
export async function deadLetterCounts(db: Kysely<Database>): Promise<DeadLetterCount[]> {
  const counts = await db
    .selectFrom('dead_letters')
    .select(['topic', 'service', (eb) => eb.fn.countAll<string>().as('n')])
    .groupBy(['topic', 'service'])
    .execute();
  const latest = await db.selectFrom('dead_letters').selectAll().orderBy('seen_at', 'desc').limit(200).execute();
  return FLEET_SUBSCRIPTIONS.map(({ topic, service }) => ({
    topic,
    service,
    count: Number(counts.find((c) => c.topic === topic && c.service === service)?.n ?? 0),
    latest: latest
      .filter((l) => l.topic === topic && l.service === service)
      .slice(0, 10)
      .map((l) => ({
        messageId: l.message_id,
        messageType: l.message_type,
        correlationId: l.correlation_id,
        seenAt: l.seen_at.toISOString(),
      })),
  }));
}

/** GET /admin/dead-letters: admin only. Re-driving stays a deliberate act: `npm run dlq -- redrive`. */
export function deadLetterRoutes(counts: () => Promise<DeadLetterCount[]>): Router {
  const router = Router();
  mount(router, deadLetterEndpoints.deadLetters, async () => ({ topics: await counts() }));
  return router;
}

/** Dead-letter records are kept 30 days: long after their flows' operations, which go after 7. */
export async function pruneDeadLetters(db: Kysely<Database>): Promise<number> {
  const result = await db
    .deleteFrom('dead_letters')
    .where('seen_at', '<', new Date(Date.now() - 30 * 86_400_000))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
