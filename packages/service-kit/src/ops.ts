/** The internal ops port: liveness, readiness (named checks) and Prometheus metrics. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export type ReadinessChecks = Record<string, () => Promise<boolean>>;

export async function checkReadiness(
  checks: ReadinessChecks,
): Promise<{ ready: boolean; checks: Record<string, boolean> }> {
  const results: Record<string, boolean> = {};
  await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      results[name] = await Promise.race([
        check().catch(() => false),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 3000)),
      ]);
    }),
  );
  return { ready: Object.values(results).every(Boolean), checks: results };
}

export async function startOpsServer(
  port: number,
  registry: Registry,
  checks: ReadinessChecks,
): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"status":"ok"}');
    } else if (req.method === 'GET' && path === '/readyz') {
      const result = await checkReadiness(checks);
      res.writeHead(result.ready ? 200 : 503, { 'Content-Type': 'application/json' }).end(JSON.stringify(result));
    } else if (req.method === 'GET' && path === '/metrics') {
      res.writeHead(200, { 'Content-Type': registry.contentType }).end(await registry.metrics());
    } else {
      res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"error":"not found"}');
    }
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '0.0.0.0', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
