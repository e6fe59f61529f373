import { retryDelay } from '../src/outbox.js';

describe('the outbox relay between passes', () => {
  it('waits its poll interval while passes succeed, and doubles the wait per failed pass up to 30 s', () => {
    expect([0, 1, 2, 3, 5, 9].map((failures) => retryDelay(failures, 1000))).toEqual([
      1000, 2000, 4000, 8000, 30_000, 30_000,
    ]);
    expect(retryDelay(2, 20)).toBe(80);
  });
});
