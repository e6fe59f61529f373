import { RateLimiterMemory } from 'rate-limiter-flexible';
import { DEFAULT_LIMITS, limitsFromEnv, sharedBudget } from '../src/http/rate-limits.js';

describe('limits from the environment', () => {
  it('keeps the documented defaults and takes each override', () => {
    expect(limitsFromEnv({})).toEqual(DEFAULT_LIMITS);
    const limits = limitsFromEnv({ RATE_LIMIT_INFLUENCER: '5', LINK_CLICKS_PER_IP: '3', RATE_LIMIT_WINDOW_S: '60' });
    expect(limits.perRole).toEqual({ ...DEFAULT_LIMITS.perRole, influencer: 5 });
    expect([limits.clicksPerIp, limits.windowSeconds]).toEqual([3, 60]);
  });

  it('refuses a limit that is not a positive integer, naming the variable', () => {
    expect(() => limitsFromEnv({ RATE_LIMIT_BRAND: '0' })).toThrow(/RATE_LIMIT_BRAND must be a positive integer/);
    expect(() => limitsFromEnv({ LINK_CLICKS_PER_LINK: 'lots' })).toThrow(/LINK_CLICKS_PER_LINK/);
  });
});

describe('a budget shared by replicas', () => {
  // rate-limiter-flexible's in-memory counter stands in for the PostgreSQL table both replicas share
  const shared = () => new RateLimiterMemory({ points: 5, duration: 60 });

  it('is exact within one process, and says when the window ends', () => {
    const budget = sharedBudget(shared(), 5, 60);
    const verdicts = Array.from({ length: 7 }, () => budget.take('brand:b-1'));
    expect(verdicts.map((v) => v.ok)).toEqual([true, true, true, true, true, false, false]);
    const refused = verdicts[6];
    expect(refused?.ok === false && refused.retryAfterMs).toBeGreaterThan(59_000);
    expect(budget.take('brand:b-2').ok).toBe(true);
  });

  it("counts what another replica spent once both have flushed, so the budget is the callers', not each process's", async () => {
    const counter = shared();
    const [a, b] = [sharedBudget(counter, 5, 60), sharedBudget(counter, 5, 60)];
    for (let i = 0; i < 3; i++) expect(a.take('k').ok).toBe(true);
    await a.flush();
    expect(b.take('k').ok).toBe(true);
    await b.flush(); // b learns that 4 of 5 are spent
    expect(b.take('k').ok).toBe(true);
    expect(b.take('k').ok).toBe(false);
  });
});
