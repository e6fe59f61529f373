import { visitorCookies } from '../src/links.js';
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
