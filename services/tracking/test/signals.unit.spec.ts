import { isBotUserAgent, signalsOf, SHARED_IP_LIMIT } from '../src/signals.js';

const conversion = {
  type: 'conversion' as const,
  visitorId: 'v-1',
  userId: null,
  userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0 Safari/537.36',
  ip: '203.0.113.7',
  occurredAt: '2026-03-01T12:00:30.000Z',
};
const facts = { influencerId: 'inf-1', conversionsFromIp: 0 };

describe('review signals: what tracking observes about an attributed event', () => {
  it('a plain conversion from a browser shows none', () => {
    expect(signalsOf(conversion, { ...facts, lastClick: { occurredAt: '2026-03-01T11:00:00.000Z' } })).toEqual([]);
  });
  it('SELF_REFERRAL: the visitor or the user is the influencer itself', () => {
    expect(signalsOf({ ...conversion, visitorId: 'inf-1' }, facts)).toEqual(['SELF_REFERRAL']);
    expect(signalsOf({ ...conversion, userId: 'inf-1' }, facts)).toEqual(['SELF_REFERRAL']);
  });
  it(`SHARED_IP: more than ${SHARED_IP_LIMIT} conversions from one IP on the campaign within the window`, () => {
    expect(signalsOf(conversion, { ...facts, conversionsFromIp: SHARED_IP_LIMIT - 1 })).toEqual([]);
    expect(signalsOf(conversion, { ...facts, conversionsFromIp: SHARED_IP_LIMIT })).toEqual(['SHARED_IP']);
    expect(signalsOf({ ...conversion, ip: null }, { ...facts, conversionsFromIp: 9 })).toEqual([]);
  });
  it('FAST_CONVERSION: click to conversion under 10 seconds (not a click after the conversion)', () => {
    expect(signalsOf(conversion, { ...facts, lastClick: { occurredAt: '2026-03-01T12:00:25.000Z' } })).toEqual([
      'FAST_CONVERSION',
    ]);
    expect(signalsOf(conversion, { ...facts, lastClick: { occurredAt: '2026-03-01T12:00:19.000Z' } })).toEqual([]);
    expect(signalsOf(conversion, { ...facts, lastClick: { occurredAt: '2026-03-01T12:00:31.000Z' } })).toEqual([]);
  });
  it('BOT_USER_AGENT: crawlers, link previews, headless browsers and HTTP libraries', () => {
    for (const ua of [
      'Googlebot/2.1',
      'facebookexternalhit/1.1',
      'Mozilla/5.0 HeadlessChrome/120',
      'curl/8.5.0',
      'python-requests/2.31',
    ])
      expect(isBotUserAgent(ua)).toBe(true);
    expect(isBotUserAgent(conversion.userAgent)).toBe(false);
    expect(isBotUserAgent(null)).toBe(false);
    expect(signalsOf({ ...conversion, type: 'click', userAgent: 'Slackbot-LinkExpanding 1.0' }, facts)).toEqual([
      'BOT_USER_AGENT',
    ]);
  });
  it('nothing for an unattributed event, or one that cannot earn', () => {
    expect(signalsOf({ ...conversion, visitorId: 'inf-1' }, { ...facts, influencerId: null })).toEqual([]);
    expect(signalsOf({ ...conversion, type: 'impression', userAgent: 'Googlebot' }, facts)).toEqual([]);
  });
});
