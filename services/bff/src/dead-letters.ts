/**
 * A message that no handler could take ends in a dead-letter topic, and without a watcher its flow
 * would look pending forever. The BFF watches every dead-letter topic of the fleet (under its own
 * subscription name, so its inbox does not mistake a dead-lettered copy for the original it already
 * projected) and fails the flow's pending operation with the reason.
 */
import { MESSAGE_TOPICS } from '@beacon/contracts';
import type { HandlerMap } from '@beacon/messaging';
import type { SubscriptionDefinition } from '@beacon/service-kit';
import type { Database } from './db.js';
import { failOperation } from './operations.js';

/** Every (topic, consuming service) of the fleet; a test checks it against the services' own subscriptions. */
export const FLEET_SUBSCRIPTIONS: Array<{ topic: string; service: string }> = [
  { topic: 'campaign/commands', service: 'campaign' },
  { topic: 'commission/events', service: 'campaign' },
  { topic: 'tracking/commands', service: 'tracking' },
  { topic: 'campaign/events', service: 'tracking' },
  { topic: 'tracking/events', service: 'commission' },
  { topic: 'campaign/events', service: 'commission' },
  { topic: 'payment/events', service: 'commission' },
  { topic: 'payment/commands', service: 'payment' },
  { topic: 'commission/events', service: 'payment' },
  { topic: 'payment/events', service: 'payment' },
  { topic: 'campaign/events', service: 'bff' },
  { topic: 'tracking/events', service: 'bff' },
  { topic: 'commission/events', service: 'bff' },
  { topic: 'payment/events', service: 'bff' },
];

export const DEAD_LETTER_SUBSCRIPTION = 'bff-dead-letters';

export function deadLetterSubscriptions(): SubscriptionDefinition<Database>[] {
  return FLEET_SUBSCRIPTIONS.map(({ topic, service }) => {
    const handlers: HandlerMap<Database> = {};
    for (const [type, schema] of Object.entries(MESSAGE_TOPICS)) {
      if (schema !== topic) continue;
      handlers[type] = async ({ trx, envelope, log }) => {
        log.warn({ deadLetteredBy: service }, 'a message of this flow was dead-lettered');
        await failOperation(trx, envelope.correlationId, `DEAD_LETTERED: ${service} could not handle ${envelope.messageType}`);
      };
    }
    return { topic: `${topic}-${service}-service-DLQ`, handlers, subscriptionName: DEAD_LETTER_SUBSCRIPTION, maxDeliveries: 0, envelopeOnly: true };
  });
}
