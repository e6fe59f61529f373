import { Registry, Counter } from 'prom-client';
import { startOpsServer } from '../src/ops.js';

describe('every service’s ops port', () => {
  it('serves healthz, readyz (503 naming the failed check) and metrics', async () => {
    const registry = new Registry();
    new Counter({ name: 'beacon_test_total', help: 'test', registers: [registry] }).inc(3);
    let pulsarUp = false;
    const ops = await startOpsServer(0, registry, { database: async () => true, pulsar: async () => pulsarUp });
    const base = `http://127.0.0.1:${ops.port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const notReady = await fetch(`${base}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ ready: false, checks: { database: true, pulsar: false } });
    pulsarUp = true;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect(await (await fetch(`${base}/metrics`)).text()).toContain('beacon_test_total 3');
    await ops.close();
  });
});
