/**
 * The fleet an end-to-end file drives: its own (on the ports given, so a developer's running fleet
 * does not collide), or the one at E2E_BFF_URL when that is set (fast iteration on a running fleet).
 */
import { startFleet, type Fleet, type FleetOptions } from '../../scripts/fleet.js';

export async function fleetUnderTest(ports: { bffPort: number; opsPortBase: number } & FleetOptions): Promise<Fleet> {
  const given = process.env.E2E_BFF_URL;
  if (given) {
    const notHere = async () => {
      throw new Error('kill and restart need a fleet this test started (unset E2E_BFF_URL)');
    };
    return {
      baseUrl: given,
      baseUrls: [given],
      opsUrls: () => [],
      stop: async () => undefined,
      kill: notHere,
      restart: notHere,
    };
  }
  return startFleet({ ...ports, quiet: true });
}

/** The fleet for one test file: started before its tests, stopped after them. */
export function useFleet(ports: { bffPort: number; opsPortBase: number } & FleetOptions): Fleet {
  const fleet = {} as Fleet;
  beforeAll(async () => {
    Object.assign(fleet, await fleetUnderTest(ports));
  }, 180_000);
  afterAll(async () => {
    await fleet.stop?.();
  }, 60_000);
  return fleet;
}
