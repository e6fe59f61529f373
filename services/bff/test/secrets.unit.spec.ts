import { authConfigFromEnv, ConfigError, DEV_SECRET, linkSecretFromEnv } from '../src/http/jwt.js';
import { bffService } from '../src/service.js';

const strong = 'a-production-secret-of-at-least-32-bytes';
const otherStrong = 'another-production-secret-32-bytes-long';

describe('the BFF outside development (BEACON_ENV unset)', () => {
  it('refuses to start without a JWT secret or a JWKS, and says which variable to set', () => {
    expect(() => bffService({ env: { LINK_SECRET: strong } })).toThrow(ConfigError);
    expect(() => authConfigFromEnv({})).toThrow(/JWT_SECRET is required outside development/);
  });

  it('refuses the development secret, and any secret shorter than 32 bytes', () => {
    expect(() => authConfigFromEnv({ JWT_SECRET: DEV_SECRET })).toThrow(/known public value/);
    expect(() => authConfigFromEnv({ JWT_SECRET: 'x'.repeat(31) })).toThrow(/at least 32 bytes/);
    expect(authConfigFromEnv({ JWT_SECRET: 'x'.repeat(32) }).secret).toBe('x'.repeat(32));
  });

  it('accepts a JWKS without any shared secret', () => {
    const config = authConfigFromEnv({ JWT_JWKS_URL: 'https://id.example/jwks.json' });
    expect(config.jwksUrl).toBe('https://id.example/jwks.json');
    expect(config.algorithms).toEqual(['RS256', 'ES256']);
  });

  it('needs LINK_SECRET of its own: never derived, never the JWT secret', () => {
    expect(() => linkSecretFromEnv({ JWT_SECRET: strong })).toThrow(/LINK_SECRET is required/);
    expect(() => linkSecretFromEnv({ JWT_JWKS_URL: 'https://id.example/jwks.json' })).toThrow(/LINK_SECRET/);
    expect(() => linkSecretFromEnv({ JWT_SECRET: strong, LINK_SECRET: strong })).toThrow(/differ from JWT_SECRET/);
    expect(() => linkSecretFromEnv({ LINK_SECRET: 'short' })).toThrow(/at least 32 bytes/);
    expect(linkSecretFromEnv({ JWT_SECRET: strong, LINK_SECRET: otherStrong })).toBe(otherStrong);
  });

  it('starts with real secrets, and not without the webhook key', () => {
    const env = { JWT_SECRET: strong, LINK_SECRET: otherStrong };
    expect(() => bffService({ env })).toThrow(/WEBHOOK_SECRET_KEY/);
    expect(() => bffService({ env: { ...env, WEBHOOK_SECRET_KEY: `${strong}-webhooks` } })).not.toThrow();
  });
});

describe('the BFF in development (BEACON_ENV=development, set by the fleet, the demo and the tests)', () => {
  it('falls back to the public development secrets', () => {
    const env = { BEACON_ENV: 'development' };
    expect(authConfigFromEnv(env).secret).toBe(DEV_SECRET);
    expect(linkSecretFromEnv(env)).not.toContain(DEV_SECRET);
  });

  it('is never inferred from the secret: the development secret alone does not make development', () => {
    expect(() => bffService({ env: { JWT_SECRET: DEV_SECRET } })).toThrow(ConfigError);
  });
});
