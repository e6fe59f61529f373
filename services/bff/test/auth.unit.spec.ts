import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createVerifier } from '../src/auth.js';
import { mintDevToken } from '../src/dev-token.js';

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
