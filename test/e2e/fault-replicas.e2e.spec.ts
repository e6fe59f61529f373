/**
 * Exactly-once under faults on two replicas of every service, the BFF included (the scenario:
 * fault-scenario.ts): one replica of each is killed mid-stream, and both replicas of each must have
 * handled messages (Key_Shared spreads the campaigns' keys over them).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { faultScenario } from './fault-scenario.js';
import { useFleet } from './fleet-under-test.js';

// A log folder of its own: each replica's log counts the messages it handled.
const logDir = mkdtempSync(join(tmpdir(), 'beacon-fault-replicas-'));
const fleet = useFleet({ bffPort: 18050, opsPortBase: 19150, replicas: 2, logDir });

describe('exactly once under faults, two replicas of every service', () => {
  it('kill -9 of one replica of each service, a PostgreSQL restart and a broker restart mid-stream lose and double nothing', async () => {
    await faultScenario({ fleet, replicas: 2, campaigns: 16, logDir });
  }, 1_800_000);
});
