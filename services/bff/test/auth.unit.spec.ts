import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createVerifier } from '../src/http/jwt.js';
import { mintDevToken } from '../src/http/dev-token.js';

const hs = { secret: 'unit-secret', issuer: 'beacon', audience: 'beacon-bff', algorithms: ['HS256'] };

describe('JWT verification', () => {
  /** A token signed as the tests need it: HS256 with the unit secret, issuer and audience right, 5 minutes, unless told. */
  const sign = (
    over: {
      roles?: string[];
      sub?: string;
      alg?: string;
      kid?: string;
      iss?: string;
      aud?: string | string[];
      exp?: string | null;
    } = {},
    key: Parameters<SignJWT['sign']>[0] = new TextEncoder().encode('unit-secret'),
  ) => {
    const jwt = new SignJWT({ roles: over.roles ?? ['admin'] })
      .setProtectedHeader({ alg: over.alg ?? 'HS256', ...(over.kid ? { kid: over.kid } : {}) })
      .setSubject(over.sub ?? 'a')
      .setIssuer(over.iss ?? 'beacon')
      .setAudience(over.aud ?? 'beacon-bff');
    return (over.exp === null ? jwt : jwt.setExpirationTime(over.exp ?? '5m')).sign(key);
  };

  it('accepts a development token and reads sub and known roles only', async () => {
    const token = await sign({ roles: ['brand', 'superuser'], sub: 'brand-1', aud: ['other', 'beacon-bff'] });
    expect(await createVerifier(hs)(token)).toEqual({ sub: 'brand-1', roles: ['brand'] });
  });

  it('refuses a token without exp, with the wrong issuer, or with an algorithm not allowed', async () => {
    const noExp = await sign({ exp: null });
    const wrongIss = await sign({ iss: 'evil' });
    const hs512 = await sign({ alg: 'HS512' }, new TextEncoder().encode('unit-secret'.repeat(6)));
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
      const es = await sign({ roles: ['influencer'], sub: 'inf-9', alg: 'ES256', kid: 'k1' }, privateKey);
      expect(await verify(es)).toEqual({ sub: 'inf-9', roles: ['influencer'] });
      await expect(verify(await mintDevToken({ sub: 'x', roles: ['admin'] }))).rejects.toThrow();
    } finally {
      server.close();
    }
  });
});
