/**
 * One attempt against real local HTTP servers: the signature verifies with the standardwebhooks
 * package (an implementation no one here wrote), a redirect is not followed, a hanging receiver times
 * out, a long answer is cut, and outside development a name resolving to 127.0.0.1 is refused at send
 * time while an address literal is refused before any connection.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { webhookHeaders, webhookSecretOf } from '@beacon/domain';
import { send, type SendOptions } from '../src/sender.js';

const development: SendOptions = { allowPrivate: true, timeoutMs: 2000, maxResponseBytes: 64 };
const production: SendOptions = { ...development, allowPrivate: false };

let server: Server;
let base: string;
const received: Array<{ headers: IncomingMessage['headers']; body: string }> = [];
const routes: Record<string, (res: ServerResponse) => void> = {
  '/ok': (res) => res.writeHead(204).end(),
  '/redirect': (res) => res.writeHead(302, { location: '/ok' }).end(),
  '/hang': () => undefined,
  '/long': (res) => res.writeHead(500).end('x'.repeat(100_000)),
};

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      (routes[req.url ?? ''] ?? ((r: ServerResponse) => r.writeHead(404).end()))(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const secret = webhookSecretOf('a-key-of-the-service-at-least-32-bytes', 'ep-1', 'salt-1');
const signed = (body: string, secrets = [secret]) =>
  webhookHeaders('msg_1', Math.floor(Date.now() / 1000), body, secrets);

describe('one delivery attempt', () => {
  it('is verified by the standardwebhooks package, with either secret while two sign it', async () => {
    const body = JSON.stringify({ type: 'commission.approved', data: { id: 'c-1' } });
    const rotated = webhookSecretOf('a-key-of-the-service-at-least-32-bytes', 'ep-1', 'salt-2');
    const attempt = await send(`${base}/ok`, signed(body, [rotated, secret]), body, development);
    expect(attempt).toMatchObject({ ok: true, statusCode: 204 });
    const got = received.at(-1);
    const headers = got?.headers as Record<string, string>;
    for (const s of [secret, rotated])
      expect(new Webhook(s).verify(got?.body ?? '', headers)).toEqual(JSON.parse(body));
    const stranger = webhookSecretOf('another-key-of-another-service-32b', 'ep-1', 'salt-1');
    expect(() => new Webhook(stranger).verify(got?.body ?? '', headers)).toThrow();
    expect(() => new Webhook(secret).verify(`${got?.body} `, headers)).toThrow();
  });

  it('does not follow a redirect: a 3xx is a failure', async () => {
    const before = received.length;
    const attempt = await send(`${base}/redirect`, signed('{}'), '{}', development);
    expect(attempt).toMatchObject({ ok: false, statusCode: 302 });
    expect(received.length).toBe(before + 1);
  });

  it('gives up on a receiver that hangs past the timeout', async () => {
    const attempt = await send(`${base}/hang`, signed('{}'), '{}', { ...development, timeoutMs: 300 });
    expect(attempt.ok).toBe(false);
    expect(attempt.statusCode).toBeUndefined();
    expect(attempt.error).toBe('timed out after 300 ms');
    expect(attempt.latencyMs).toBeGreaterThanOrEqual(290);
    expect(attempt.latencyMs).toBeLessThan(2000);
  });

  it('reads no more of an answer than its cap', async () => {
    const attempt = await send(`${base}/long`, signed('{}'), '{}', development);
    expect(attempt).toMatchObject({ ok: false, statusCode: 500 });
    expect(attempt.snippet).toBe('x'.repeat(64));
  });

  it('outside development refuses http, an address literal, and a name that resolves to 127.0.0.1', async () => {
    const before = received.length;
    expect((await send(`${base}/ok`, signed('{}'), '{}', production)).error).toBe('refused: only https');
    const port = (server.address() as AddressInfo).port;
    const literals: Array<[string, string]> = [
      ['https://127.0.0.1/ok', 'refused: a loopback address'],
      ['https://169.254.169.254/latest/meta-data', 'refused: a linkLocal address'],
      ['https://10.0.0.7/x', 'refused: a private address'],
      ['https://[::ffff:127.0.0.1]/x', 'refused: a loopback address'],
      ['https://[::1]/x', 'refused: a loopback address'],
    ];
    for (const [url, error] of literals) expect((await send(url, signed('{}'), '{}', production)).error).toBe(error);
    // localhost is a name: it is judged by what it resolves to when the connection is made.
    const byName = await send(`https://localhost:${port}/ok`, signed('{}'), '{}', production);
    expect(byName.ok).toBe(false);
    expect(byName.error).toMatch(/^refused: localhost resolves to (127\.0\.0\.1|::1), a loopback address$/);
    expect(received.length).toBe(before);
  });
});
