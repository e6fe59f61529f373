import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createVerifier } from '../src/auth.js';
import { mintDevToken } from '../src/dev-token.js';
import { signLink, verifyLink } from '../src/links.js';
import { causalOrder } from '../src/operations.js';
import { CreateCampaignBody, TrackingEventBody } from '../src/schemas.js';

const hs = { secret: 'unit-secret', issuer: 'beacon', audience: 'beacon-bff', algorithms: ['HS256'] };

describe('JWT verification', () => {
  it('accepts a development token and reads sub and known roles only', async () => {
    const token = await new SignJWT({ roles: ['brand', 'superuser'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('brand-1')
      .setIssuer('beacon')
      .setAudience(['other', 'beacon-bff'])
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('unit-secret'));
    expect(await createVerifier(hs)(token)).toEqual({ sub: 'brand-1', roles: ['brand'] });
  });

  it('refuses a token without exp, with the wrong issuer, or with an algorithm not allowed', async () => {
    const key = new TextEncoder().encode('unit-secret');
    const noExp = await new SignJWT({ roles: ['admin'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('a')
      .setIssuer('beacon')
      .setAudience('beacon-bff')
      .sign(key);
    const wrongIss = await new SignJWT({ roles: ['admin'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('a')
      .setIssuer('evil')
      .setAudience('beacon-bff')
      .setExpirationTime('5m')
      .sign(key);
    const hs512 = await new SignJWT({ roles: ['admin'] })
      .setProtectedHeader({ alg: 'HS512' })
      .setSubject('a')
      .setIssuer('beacon')
      .setAudience('beacon-bff')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('unit-secret'.repeat(6)));
    const verify = createVerifier(hs);
    await expect(verify(noExp)).rejects.toThrow(/exp/);
    await expect(verify(wrongIss)).rejects.toThrow(/iss/);
    await expect(verify(hs512)).rejects.toThrow(/alg/i);
  });

  it('verifies ES256 tokens against a JWKS endpoint, and refuses HS256 there', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    const server = http.createServer((_req, res) =>
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const verify = createVerifier({
        ...hs,
        jwksUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`,
        algorithms: ['RS256', 'ES256'],
      });
      const es = await new SignJWT({ roles: ['influencer'] })
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setSubject('inf-9')
        .setIssuer('beacon')
        .setAudience('beacon-bff')
        .setExpirationTime('5m')
        .sign(privateKey);
      expect(await verify(es)).toEqual({ sub: 'inf-9', roles: ['influencer'] });
      await expect(verify(await mintDevToken({ sub: 'x', roles: ['admin'] }))).rejects.toThrow();
    } finally {
      server.close();
    }
  });
});

describe('tracking links', () => {
  it('verifies its own signature and refuses any change', () => {
    const token = signLink('s', 'camp-1', 'inf-1');
    expect(verifyLink('s', token)).toEqual({ campaignId: 'camp-1', influencerId: 'inf-1' });
    expect(verifyLink('other-secret', token)).toBeUndefined();
    const [body, sig = ''] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ c: 'camp-1', i: 'inf-2' })).toString('base64url');
    expect(verifyLink('s', `${forged}.${sig}`)).toBeUndefined();
    expect(verifyLink('s', `${body}.${sig}.x`)).toBeUndefined();
    // The last base64url character carries spare bits: flipping only those must still fail.
    const last = sig.at(-1) ?? '';
    const sibling = 'AEIMQUYcgkosw048'.includes(last) ? String.fromCharCode(last.charCodeAt(0) + 1) : last;
    if (sibling !== last) expect(verifyLink('s', `${body}.${sig.slice(0, -1)}${sibling}`)).toBeUndefined();
    for (const c of ['A', 'B'])
      if (c !== last) expect(verifyLink('s', `${body}.${sig.slice(0, -1)}${c}`)).toBeUndefined();
  });
});

describe('operation timelines', () => {
  it('puts parents before children and siblings by time', () => {
    const step = (messageId: string, causationId: string, occurredAt: string) => ({
      messageId,
      causationId,
      kind: 'event' as const,
      type: messageId,
      service: 's',
      occurredAt,
    });
    const ordered = causalOrder([step('c', 'b', '3'), step('b', 'a', '2'), step('a', '', '1'), step('b2', 'a', '1.5')]);
    expect(ordered.map((s) => s.messageId)).toEqual(['a', 'b2', 'b', 'c']);
  });
});

describe('request validation', () => {
  it('turns money strings into minor units and refuses rule amounts in another currency', () => {
    const ok = CreateCampaignBody.parse({
      name: 'x',
      landingUrl: 'https://a.example',
      budget: { amount: '12.5', currency: 'USD' },
      commissionRules: [{ event: 'click', type: 'fixed', amount: { amount: '0.25', currency: 'USD' } }],
    });
    expect(ok.budget).toEqual({ amountMinor: 1250n, currency: 'USD' });
    expect(ok.visibility).toBe('open');
    const mixed = CreateCampaignBody.safeParse({
      name: 'x',
      landingUrl: 'https://a.example',
      budget: { amount: '12.50', currency: 'USD' },
      commissionRules: [{ event: 'click', type: 'fixed', amount: { amount: '0.25', currency: 'EUR' } }],
    });
    expect(mixed.success).toBe(false);
  });

  it('requires value and orderId for conversions, orderId for refunds, name for custom events', () => {
    const paths = (body: unknown) => {
      const r = TrackingEventBody.safeParse(body);
      return r.success ? [] : r.error.issues.map((i) => i.path.join('.')).sort();
    };
    expect(paths({ type: 'conversion', campaignId: 'c', visitorId: 'v' })).toEqual(['orderId', 'value']);
    expect(paths({ type: 'refund', campaignId: 'c', visitorId: 'v' })).toEqual(['orderId']);
    expect(paths({ type: 'custom', campaignId: 'c', visitorId: 'v' })).toEqual(['name']);
    expect(paths({ type: 'click', campaignId: 'c', visitorId: 'v', properties: { a: 1 } })).toEqual([]);
  });
});
