import { DEFAULT_LIMITS, limitsFromEnv } from '../src/limits.js';

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
