/** JWT verification with jose: issuer, audience, exp, an algorithm allow-list; HS256 secret or a JWKS. */
import { createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';

export const ROLES = ['admin', 'brand', 'influencer', 'ingest'] as const;
export type Role = (typeof ROLES)[number];

export interface Caller {
  sub: string;
  roles: Role[];
  /** ingest tokens: the brand whose campaigns this client writes events to */
  brand?: string;
}

export interface AuthConfig {
  secret: string;
  issuer: string;
  audience: string;
  jwksUrl?: string;
  algorithms: string[];
}

/** Public values, used only where BEACON_ENV=development says so. */
export const DEV_SECRET = 'dev-secret-change-me';
export const DEV_LINK_SECRET = 'dev-link-secret-change-me';
/** The shortest HMAC secret accepted outside development: HS256's own key size. */
export const MIN_SECRET_BYTES = 32;
/** How far in the future `iat` may be (clock skew between the issuer and us). */
export const IAT_LEEWAY_SECONDS = 60;

/** Development is an explicit switch, never inferred from a secret. */
export const isDevelopment = (env: NodeJS.ProcessEnv = process.env): boolean => env.BEACON_ENV === 'development';

/** A setting the BFF cannot run with; the message is the one line an operator reads. */
export class ConfigError extends Error {}

const secretProblem = (name: string, value: string | undefined, known: string[]): string | undefined => {
  if (!value) return `${name} is required outside development (BEACON_ENV=development)`;
  if (known.includes(value)) return `${name} is a known public value; set a secret of your own`;
  if (Buffer.byteLength(value) < MIN_SECRET_BYTES) return `${name} must be at least ${MIN_SECRET_BYTES} bytes`;
  return undefined;
};

/**
 * JWT verification settings. Outside development the BFF needs a JWKS, or a JWT_SECRET of at least 32
 * bytes that is not a known development value; in development the development secret is the default.
 */
export function authConfigFromEnv(env: NodeJS.ProcessEnv = process.env): AuthConfig {
  const development = isDevelopment(env);
  const jwksUrl = env.JWT_JWKS_URL || undefined;
  const algorithms = (env.JWT_ALGORITHMS ?? (jwksUrl ? 'RS256,ES256' : 'HS256'))
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a && a.toLowerCase() !== 'none');
  const secret = env.JWT_SECRET || (development ? DEV_SECRET : '');
  if (!development && !jwksUrl) {
    const problem = secretProblem('JWT_SECRET', secret, [DEV_SECRET, DEV_LINK_SECRET]);
    if (problem) throw new ConfigError(`${problem}, or set JWT_JWKS_URL`);
  }
  return {
    secret,
    issuer: env.JWT_ISSUER ?? 'beacon',
    audience: env.JWT_AUDIENCE ?? 'beacon-bff',
    jwksUrl,
    algorithms,
  };
}

/**
 * The secret that signs tracking links and visitor cookies: LINK_SECRET, its own value, never derived
 * from another secret. Required outside development (32 bytes or more, not the JWT secret).
 */
export function linkSecretFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  if (isDevelopment(env)) return env.LINK_SECRET || DEV_LINK_SECRET;
  const secret = env.LINK_SECRET;
  const problem = secretProblem('LINK_SECRET', secret, [DEV_SECRET, DEV_LINK_SECRET]);
  if (problem) throw new ConfigError(problem);
  if (secret === env.JWT_SECRET) throw new ConfigError('LINK_SECRET must differ from JWT_SECRET');
  return secret as string;
}

export class AuthError extends Error {}

/**
 * Who a caller is wherever ownership of a request's traces is compared (operations, idempotency
 * keys): its roles and its sub together, so a brand and an influencer that share a sub are two callers.
 * Every principal holds a ':'; a sub of `public`, or any other, is nothing special.
 */
export const principalOf = (caller: Caller): string => `${[...caller.roles].sort().join('+')}:${caller.sub}`;

/** The owner recorded for flows no caller started (a public link's click): no principal has this form. */
export const NO_CALLER = '(no caller)';

/** An identifier claim: a non-empty string of printable characters (no C0 controls, no DEL), at most 256 long. */
const identifier = (value: string) =>
  [...value].length <= 256 && [...value].every((c) => (c.codePointAt(0) ?? 0) > 0x1f && c !== '\u007f');

function callerOf(payload: JWTPayload, now: number): Caller {
  if (typeof payload.sub !== 'string' || !identifier(payload.sub) || payload.sub.trim() === '')
    throw new AuthError('invalid token: sub must be a non-empty string');
  if (typeof payload.iat === 'number' && payload.iat > now + IAT_LEEWAY_SECONDS)
    throw new AuthError('invalid token: issued in the future');
  const roles = Array.isArray(payload.roles)
    ? payload.roles.filter((r): r is Role => (ROLES as readonly string[]).includes(String(r)))
    : [];
  const caller: Caller = { sub: payload.sub, roles };
  if (typeof payload.brand === 'string' && identifier(payload.brand)) caller.brand = payload.brand;
  return caller;
}

export function createVerifier(config: AuthConfig): (token: string) => Promise<Caller> {
  const key: Uint8Array | JWTVerifyGetKey = config.jwksUrl
    ? createRemoteJWKSet(new URL(config.jwksUrl))
    : new TextEncoder().encode(config.secret);
  return async (token) => {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, key as Uint8Array, {
        issuer: config.issuer,
        audience: config.audience,
        algorithms: config.algorithms,
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (error) {
      throw new AuthError(`invalid token: ${(error as Error).message}`);
    }
    return callerOf(payload, Math.floor(Date.now() / 1000));
  };
}
