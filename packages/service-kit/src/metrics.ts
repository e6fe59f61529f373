/** One Prometheus registry per process, with the fleet's standard metrics. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetrics(service: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    published: new Counter({
      name: 'beacon_messages_published_total',
      help: 'Messages published',
      labelNames: ['source'],
      registers: [registry],
    }),
    consumed: new Counter({
      name: 'beacon_messages_consumed_total',
      help: 'Messages consumed, by type and outcome',
      labelNames: ['type', 'outcome'],
      registers: [registry],
    }),
    handlerSeconds: new Histogram({
      name: 'beacon_handler_seconds',
      help: 'Handler latency',
      labelNames: ['type'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    consumerLagSeconds: new Gauge({
      name: 'beacon_consumer_lag_seconds',
      help:
        'How long ago the last message this consumer received on the topic was published: a consumer this far ' +
        'behind that stays down past the retention window (beacon_retention_window_seconds) has messages a rebuild cannot replay',
      labelNames: ['topic'],
      registers: [registry],
    }),
    retentionWindowSeconds: new Gauge({
      name: 'beacon_retention_window_seconds',
      help: 'How long the event namespaces keep their history (PULSAR_RETENTION_DAYS): what a rebuild or a backtest can reach',
      registers: [registry],
    }),
    outboxBacklog: new Gauge({ name: 'beacon_outbox_backlog', help: 'Unpublished outbox rows', registers: [registry] }),
    outboxAgeSeconds: new Gauge({
      name: 'beacon_outbox_oldest_age_seconds',
      help: 'Age of the oldest unpublished outbox row',
      registers: [registry],
    }),
    trackingEventsAccepted: new Counter({
      name: 'beacon_tracking_events_accepted_total',
      help: 'Tracking events the BFF answered 202 for (the broker holds them)',
      registers: [registry],
    }),
    refused: new Counter({
      name: 'beacon_http_refused_total',
      help:
        'Requests refused to protect the fleet: over a rate limit (429), a full tracking queue (503), ' +
        'a click over its link or IP limit (recorded nothing)',
      labelNames: ['reason'],
      registers: [registry],
    }),
    deadLettered: new Counter({
      name: 'beacon_messages_dead_lettered_total',
      help: 'Messages that failed often enough to be dead-lettered',
      labelNames: ['type'],
      registers: [registry],
    }),
    httpSeconds: new Histogram({
      name: 'beacon_http_request_seconds',
      help: 'HTTP latency by route',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
