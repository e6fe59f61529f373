/** Exactly-once under faults on one replica per service (the scenario: fault-scenario.ts). */
import { faultScenario } from './fault-scenario.js';
import { useFleet } from './fleet-under-test.js';

const fleet = useFleet({ bffPort: 18030, opsPortBase: 19130 });

describe('exactly once under faults', () => {
  it('kill -9 of tracking, commission, webhook, payment, PostgreSQL and broker restarts mid-stream lose and double nothing', async () => {
    await faultScenario({ fleet, replicas: 1, campaigns: 1 });
  }, 1_800_000);
});
