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

export const DEV_SECRET = 'dev-secret-change-me';
/** How far in the future `iat` may be (clock skew between the issuer and us). */
export const IAT_LEEWAY_SECONDS = 60;

export function authConfigFromEnv(env: NodeJS.ProcessEnv = process.env): AuthConfig {
  const jwksUrl = env.JWT_JWKS_URL || undefined;
  const algorithms = (env.JWT_ALGORITHMS ?? (jwksUrl ? 'RS256,ES256' : 'HS256'))
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a && a.toLowerCase() !== 'none');
  return {
    secret: env.JWT_SECRET ?? DEV_SECRET,
    issuer: env.JWT_ISSUER ?? 'beacon',
    audience: env.JWT_AUDIENCE ?? 'beacon-bff',
    jwksUrl,
    algorithms,
  };
}

export class AuthError extends Error {}

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
