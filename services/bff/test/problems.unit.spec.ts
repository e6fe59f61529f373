/** The error handler on a real express server: what a client gets for an error that is ours, passing or not. */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import pino from 'pino';
import { problemHandler } from '../src/http/problems.js';

let server: Server;
let base: string;
beforeAll(async () => {
  const app = express();
  const errors: Record<string, Error> = {
    // what pg raises when every connection slot is taken (SQLSTATE 53300), and for a deadlock
    'no-slot': Object.assign(new Error('remaining connection slots are reserved'), { code: '53300' }),
    deadlock: Object.assign(new Error('deadlock detected'), { code: '40P01' }),
    bug: new TypeError("Cannot read properties of undefined (reading 'id')"),
  };
  app.get('/fail/:kind', (req) => {
    throw errors[req.params.kind];
  });
  app.use(problemHandler(pino({ level: 'silent' })));
  server = app.listen(0);
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

it('answers a database that is briefly unavailable with 503 and Retry-After, so the client retries', async () => {
  for (const kind of ['no-slot', 'deadlock']) {
    const reply = await fetch(`${base}/fail/${kind}`);
    expect(reply.status).toBe(503);
    expect(reply.headers.get('retry-after')).toBe('1');
    expect(await reply.json()).toMatchObject({ status: 503, title: 'Service Unavailable' });
  }
});

it('answers any other error of ours with 500, naming nothing of its cause', async () => {
  const reply = await fetch(`${base}/fail/bug`);
  expect(reply.status).toBe(500);
  expect(reply.headers.get('retry-after')).toBeNull();
  expect(JSON.stringify(await reply.json())).not.toContain('Cannot read');
});
