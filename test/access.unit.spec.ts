import type { ServiceContext, ServiceDefinition } from '@beacon/service-kit';
import { FLEET_ACCESS, FLEET_SERVICES, subscriptionOf, type FleetService } from '@beacon/contracts';
import { bffService } from '../services/bff/src/service.js';
import { campaignService } from '../services/campaign/src/service.js';
import { commissionService } from '../services/commission/src/service.js';
import { paymentService } from '../services/payment/src/service.js';
import { trackingService } from '../services/tracking/src/service.js';
import { webhookService } from '../services/webhook/src/service.js';

const definitions: Record<FleetService, ServiceDefinition<never>> = {
  bff: bffService({ env: { BEACON_ENV: 'development' } }) as unknown as ServiceDefinition<never>,
  campaign: campaignService as unknown as ServiceDefinition<never>,
  tracking: trackingService as unknown as ServiceDefinition<never>,
  commission: commissionService as unknown as ServiceDefinition<never>,
  payment: paymentService() as unknown as ServiceDefinition<never>,
  webhook: webhookService({ BEACON_ENV: 'development' }) as unknown as ServiceDefinition<never>,
};

// Building the subscription list touches only these: no connection is opened.
const ctx = { db: {}, metrics: { deadLettered: { inc: () => undefined } } } as unknown as ServiceContext<never>;

describe('the broker grants (FLEET_ACCESS) and the services agree', () => {
  it.each(FLEET_SERVICES)('%s consumes exactly the topics its role may consume', (service) => {
    expect(definitions[service].name).toBe(service);
    const own = definitions[service]
      .subscriptions(ctx)
      .filter((s) => (s.subscriptionName ?? subscriptionOf(service)) === subscriptionOf(service))
      .map((s) => s.topic);
    expect([...own].sort()).toEqual([...FLEET_ACCESS[service].consumes].sort());
  });

  it('lets no service but the BFF produce outside its own context, and the BFF only commands', () => {
    for (const service of FLEET_SERVICES.filter((s) => s !== 'bff')) {
      for (const topic of FLEET_ACCESS[service].produces) expect(topic.startsWith(`${service}/`)).toBe(true);
    }
    for (const topic of FLEET_ACCESS.bff.produces) expect(topic).toMatch(/\/([a-z]+-)?command(s|-batches)(-v\d+)?$/);
  });
});
