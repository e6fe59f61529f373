/**
 * What each service may do on the broker, and nothing more: the topics it produces to and the topics
 * it consumes (as `<service>-service`). Set-up (scripts/provision.ts, as the admin role) grants exactly
 * this to each service's role; a service registers the schemas of what it produces; the BFF watches the
 * dead-letter topic of every subscription listed here. A test checks it against the services' own
 * subscriptions.
 */
export const FLEET_SERVICES = ['bff', 'campaign', 'tracking', 'commission', 'payment', 'webhook'] as const;
export type FleetService = (typeof FLEET_SERVICES)[number];

export interface TopicAccess {
  /** Topic schema names (`campaign/events`) this service's role may produce to. */
  produces: readonly string[];
  /** Topic schema names this service's role consumes, each with the subscription `<service>-service`. */
  consumes: readonly string[];
}

export const FLEET_ACCESS: Record<FleetService, TopicAccess> = {
  // The BFF is the command gateway: it produces to other contexts' command topics, and nothing else.
  bff: {
    produces: [
      'campaign/commands',
      'campaign/coupon-commands',
      'tracking/command-batches-v2',
      'payment/commands',
      'webhook/commands',
      'commission/review-commands',
    ],
    consumes: [
      'campaign/events',
      'campaign/coupon-events',
      'tracking/event-batches',
      'tracking/event-batches-v2',
      'commission/events',
      'commission/review-events',
      'payment/events',
      'webhook/events',
    ],
  },
  campaign: {
    produces: ['campaign/events', 'campaign/coupon-events'],
    // A held commission rejected releases its budget (commission/review-events).
    consumes: ['campaign/commands', 'campaign/coupon-commands', 'commission/events', 'commission/review-events'],
  },
  // The v1 batch topics are read until they are retired (scripts/retire-topics.ts): nothing writes them any more.
  tracking: {
    produces: ['tracking/event-batches-v2'],
    consumes: ['tracking/command-batches', 'tracking/command-batches-v2', 'campaign/events', 'campaign/coupon-events'],
  },
  commission: {
    produces: ['commission/events', 'commission/review-events'],
    consumes: [
      'tracking/event-batches',
      'tracking/event-batches-v2',
      'campaign/events',
      'payment/events',
      'commission/review-commands',
    ],
  },
  payment: { produces: ['payment/events'], consumes: ['payment/commands', 'commission/events', 'payment/events'] },
  // Delivers what brands' and influencers' endpoints subscribe to; campaign events tell it whose each campaign is.
  webhook: {
    produces: ['webhook/events'],
    consumes: [
      'webhook/commands',
      'campaign/events',
      'commission/events',
      'commission/review-events',
      'payment/events',
      'tracking/event-batches-v2',
    ],
  },
};

/** Every (topic, consuming service) of the fleet. */
export const FLEET_SUBSCRIPTIONS: Array<{ topic: string; service: FleetService }> = FLEET_SERVICES.flatMap((service) =>
  FLEET_ACCESS[service].consumes.map((topic) => ({ topic, service })),
);

/** The subscription a service consumes under. */
export const subscriptionOf = (service: string): string => `${service}-service`;

/** The dead-letter topic of a service's subscription (`<topic>-<service>-service-DLQ`), as a schema-style name. */
export const deadLetterTopicOf = (topic: string, service: string): string => `${topic}-${subscriptionOf(service)}-DLQ`;

/** The BFF's subscription on every dead-letter topic (its own name keeps its inbox apart from the originals'). */
export const DEAD_LETTER_SUBSCRIPTION = 'bff-dead-letters';
