/**
 * A message that no handler could take ends in a dead-letter topic, and without a watcher its flow
 * would look pending forever. The BFF watches every dead-letter topic of the fleet (under its own
 * subscription name, so its inbox does not mistake a dead-lettered copy for the original it already
 * projected) and fails the flow's pending operation with the reason.
 */
import { codecs, MESSAGE_TOPICS, type RecordTrackingEvents, type TrackingEventsRecorded } from '@beacon/contracts';
import type { Envelope, HandlerMap } from '@beacon/messaging';
import type { SubscriptionDefinition } from '@beacon/service-kit';
import type { Database } from './db.js';
import { failOperation } from './operations.js';

/** Every (topic, consuming service) of the fleet; a test checks it against the services' own subscriptions. */
export const FLEET_SUBSCRIPTIONS: Array<{ topic: string; service: string }> = [
  { topic: 'campaign/commands', service: 'campaign' },
  { topic: 'commission/events', service: 'campaign' },
  { topic: 'tracking/command-batches', service: 'tracking' },
  { topic: 'tracking/commands', service: 'tracking' },
  { topic: 'campaign/events', service: 'tracking' },
  { topic: 'tracking/event-batches', service: 'commission' },
  { topic: 'tracking/events', service: 'commission' },
  { topic: 'campaign/events', service: 'commission' },
  { topic: 'payment/events', service: 'commission' },
  { topic: 'payment/commands', service: 'payment' },
  { topic: 'commission/events', service: 'payment' },
  { topic: 'payment/events', service: 'payment' },
  { topic: 'campaign/events', service: 'bff' },
  { topic: 'tracking/event-batches', service: 'bff' },
  { topic: 'tracking/events', service: 'bff' },
  { topic: 'commission/events', service: 'bff' },
  { topic: 'payment/events', service: 'bff' },
];

export const DEAD_LETTER_SUBSCRIPTION = 'bff-dead-letters';

/**
 * A tracking batch carries the flows of many requests: they all fail with it. Its payload is read
 * if it can be; an unreadable one (the usual reason for a dead letter) fails the envelope's flow only.
 */
function flowsOfBatch(envelope: Envelope, payload: Buffer): string[] {
  try {
    if (envelope.messageType === 'tracking.RecordTrackingEvents') {
      return [...new Set((codecs().decode(envelope.messageType, envelope.schemaVersion, payload).value as RecordTrackingEvents).items.map((i) => i.correlationId))];
    }
    if (envelope.messageType === 'tracking.TrackingEventsRecorded') {
      const batch = codecs().decode(envelope.messageType, envelope.schemaVersion, payload).value as TrackingEventsRecorded;
      return [...new Set([...batch.recorded, ...batch.ignored].map((i) => i.correlationId))];
    }
  } catch {
    // unreadable: the envelope is all there is
  }
  return [envelope.correlationId];
}

export function deadLetterSubscriptions(): SubscriptionDefinition<Database>[] {
  return FLEET_SUBSCRIPTIONS.map(({ topic, service }) => {
    const handlers: HandlerMap<Database> = {};
    for (const [type, schema] of Object.entries(MESSAGE_TOPICS)) {
      if (schema !== topic) continue;
      handlers[type] = async ({ trx, envelope, log, payload }) => {
        const flows = payload ? flowsOfBatch(envelope, payload) : [envelope.correlationId];
        log.warn({ deadLetteredBy: service, flows: flows.length }, 'a message of this flow was dead-lettered');
        await failOperation(trx, flows, `DEAD_LETTERED: ${service} could not handle ${envelope.messageType}`);
      };
    }
    return { topic: `${topic}-${service}-service-DLQ`, handlers, subscriptionName: DEAD_LETTER_SUBSCRIPTION, maxDeliveries: 0, envelopeOnly: true };
  });
}
