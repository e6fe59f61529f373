import { signLink, verifyLink, visitorCookies } from '../src/tracking/links.js';
import { trustedProxies } from '../src/service.js';

describe('visitor cookies', () => {
  const cookies = visitorCookies('secret', true);

  it('give back the visitor id of a cookie we signed', () => {
    expect(cookies.verify(cookies.sign('v-123'))).toBe('v-123');
  });

  it("refuse a bare id, another visitor's id under our signature, and a cookie signed with another secret", () => {
    const mine = cookies.sign('v-123');
    expect(cookies.verify('v-123')).toBeUndefined();
    expect(cookies.verify(`v-999.${mine.split('.')[1]}`)).toBeUndefined();
    expect(cookies.verify(visitorCookies('other', true).sign('v-123'))).toBeUndefined();
  });

  it('are Secure unless built for development', () => {
    expect(visitorCookies('s', true).secure).toBe(true);
    expect(visitorCookies('s', false).secure).toBe(false);
  });
});

describe('trusted proxies', () => {
  it('trust no X-Forwarded-For unless TRUST_PROXY names proxies', () => {
    expect(trustedProxies(undefined)).toBe(false);
    expect(trustedProxies(' ')).toBe(false);
    expect(trustedProxies('loopback, 10.0.0.0/8')).toEqual(['loopback', '10.0.0.0/8']);
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
