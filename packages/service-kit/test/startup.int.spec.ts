/**
 * A service starting beside a broker that is itself still starting (or just restarted) waits for it
 * instead of exiting. The broker is the real one; a proxy in front of its admin API answers the
 * first requests with what a loading broker answers (503), or refuses a schema (409).
 */
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { SchemaRegistryError } from '@beacon/contracts';
import { startService, type ServiceDefinition } from '../src/service.js';
import type { MessagingTables } from '@beacon/messaging';

const BROKER_ADMIN = new URL(process.env.PULSAR_ADMIN_URL ?? 'http://127.0.0.1:8080');

/** Answers `failFirst` requests with `status`, then forwards every request to the real broker. */
async function faultyAdmin(
  failFirst: number,
  status: number,
  only?: string,
): Promise<{ url: string; close: () => void; failed: () => number }> {
  let failed = 0;
  const server = createServer((req, res) => {
    if (failed < failFirst && (!only || req.method === only)) {
      failed++;
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ reason: 'injected' }));
      return;
    }
    const upstream = request(
      { host: BROKER_ADMIN.hostname, port: BROKER_ADMIN.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const close = () => {
    server.close();
    server.closeAllConnections();
  };
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close, failed: () => failed };
}

function capturedLogger(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

const definition: ServiceDefinition<MessagingTables> = {
  name: 'kit_startup_test',
  defaultOpsPort: 0,
  migrations: {},
  subscriptions: () => [],
};

describe('a service starting while its broker is still coming up', () => {
  it('asks the schema registry again until it answers, then starts', async () => {
    const admin = await faultyAdmin(3, 503);
    const { logger, lines } = capturedLogger();
    try {
      const service = await startService(definition, {
        env: { ...process.env, PULSAR_ADMIN_URL: admin.url, OPS_PORT: '0' },
        exitOnSignal: false,
        logger,
      });
      await service.stop();
      expect(admin.failed()).toBe(3);
      const retries = lines.filter((line) => line.msg === 'start-up step failed; trying again');
      expect(retries.map((line) => line.step)).toEqual(['schema registry', 'schema registry', 'schema registry']);
      expect(lines.some((line) => line.msg === 'service started')).toBe(true);
    } finally {
      admin.close();
    }
  });

  it('gives up at once when the registry refuses a schema (409), saying which', async () => {
    const admin = await faultyAdmin(1, 409, 'POST');
    const { logger, lines } = capturedLogger();
    try {
      const started = startService(definition, {
        env: { ...process.env, PULSAR_ADMIN_URL: admin.url, OPS_PORT: '0' },
        exitOnSignal: false,
        logger,
      });
      await expect(started).rejects.toThrow(SchemaRegistryError);
      await expect(started).rejects.toThrow(/registering the schema of .* failed: HTTP 409/);
      expect(admin.failed()).toBe(1);
      expect(lines.filter((line) => line.msg === 'start-up step failed; trying again')).toEqual([]);
    } finally {
      admin.close();
    }
  });
});
