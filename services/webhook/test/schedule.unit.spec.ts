/** The retry schedule and the 5-day rule, and which addresses and URLs a webhook may go to. */
import { refusedRange, webhookUrlProblem } from '@beacon/domain';
import { ATTEMPTS, disabledAt, nextAttemptAt, RETRY_DELAYS_SECONDS } from '../src/schedule.js';

const at = new Date('2026-12-01T00:00:00Z');

describe('the retry schedule', () => {
  it('retries after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h and 24 h, then gives up', () => {
    const delays = Array.from({ length: ATTEMPTS }, (_, i) => nextAttemptAt(i + 1, at));
    expect(delays.map((d) => (d ? (d.getTime() - at.getTime()) / 1000 : undefined))).toEqual([
      5,
      300,
      1800,
      7200,
      18_000,
      36_000,
      50_400,
      72_000,
      86_400,
      undefined,
    ]);
    expect(ATTEMPTS).toBe(10);
    expect(RETRY_DELAYS_SECONDS.reduce((a, b) => a + b, 0) / 86_400).toBeCloseTo(3.15, 2);
  });

  it('scales every delay by the factor tests set', () => {
    expect(nextAttemptAt(2, at, 0.001)?.getTime()).toBe(at.getTime() + 300);
  });

  it('disables an endpoint failing for 5 days, and not one that never failed or failed for less', () => {
    const days = (n: number) => new Date(at.getTime() + n * 86_400_000);
    expect(disabledAt(at, days(5))).toBe(true);
    expect(disabledAt(at, days(4.99))).toBe(false);
    expect(disabledAt(null, days(30))).toBe(false);
  });
});

describe('where a webhook may go', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['::1', 'loopback'],
    ['fe80::1', 'linkLocal'],
    ['fd00::1', 'uniqueLocal'],
    ['::ffff:10.0.0.1', 'private'],
    ['64:ff9b::a00:1', 'rfc6052'],
  ])('refuses %s (%s)', (address, range) => {
    expect(refusedRange(address)).toBe(range);
  });

  it.each(['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'])('accepts the public address %s', (address) => {
    expect(refusedRange(address)).toBeUndefined();
  });

  it('takes only https outside development, and no credentials in the URL', () => {
    const production = { allowPrivate: false };
    expect(webhookUrlProblem('https://hooks.example.com/x', production)).toBeUndefined();
    expect(webhookUrlProblem('http://hooks.example.com/x', production)).toBe('only https');
    expect(webhookUrlProblem('https://u:p@hooks.example.com/x', production)).toBe('a URL with credentials');
    expect(webhookUrlProblem('https://[::1]/x', production)).toBe('a loopback address');
    expect(webhookUrlProblem('not a url', production)).toBe('not a URL');
    expect(webhookUrlProblem('http://127.0.0.1:9000/x', { allowPrivate: true })).toBeUndefined();
  });
});
