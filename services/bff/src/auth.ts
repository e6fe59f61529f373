/** JWT verification with jose: issuer, audience, exp, an algorithm allow-list; HS256 secret or a JWKS. */
import { createRemoteJWKSet, jwtVerify, SignJWT, type JWTVerifyGetKey } from 'jose';

export const ROLES = ['admin', 'brand', 'influencer', 'ingest'] as const;
export type Role = (typeof ROLES)[number];

export interface Caller {
  sub: string;
  roles: Role[];
}

export interface AuthConfig {
  secret: string;
  issuer: string;
  audience: string;
  jwksUrl?: string;
  algorithms: string[];
}

export function authConfigFromEnv(env: NodeJS.ProcessEnv = process.env): AuthConfig {
  const jwksUrl = env.JWT_JWKS_URL || undefined;
  const algorithms = (env.JWT_ALGORITHMS ?? (jwksUrl ? 'RS256,ES256' : 'HS256')).split(',').map((a) => a.trim()).filter((a) => a && a.toLowerCase() !== 'none');
  return { secret: env.JWT_SECRET ?? 'dev-secret-change-me', issuer: env.JWT_ISSUER ?? 'beacon', audience: env.JWT_AUDIENCE ?? 'beacon-bff', jwksUrl, algorithms };
}

export class AuthError extends Error {}

export function createVerifier(config: AuthConfig): (token: string) => Promise<Caller> {
  const key: Uint8Array | JWTVerifyGetKey = config.jwksUrl ? createRemoteJWKSet(new URL(config.jwksUrl)) : new TextEncoder().encode(config.secret);
  return async (token) => {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, key as Uint8Array, {
        issuer: config.issuer, audience: config.audience, algorithms: config.algorithms, requiredClaims: ['exp', 'sub'],
      }));
    } catch (error) {
      throw new AuthError(`invalid token: ${(error as Error).message}`);
    }
    const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is Role => (ROLES as readonly string[]).includes(String(r))) : [];
    return { sub: String(payload.sub), roles };
  };
}

/** A development token (HS256), as `npm run token` prints. */
export async function mintDevToken(input: { sub: string; roles: Role[]; secret?: string; expiresIn?: string; issuer?: string; audience?: string }): Promise<string> {
  const config = authConfigFromEnv();
  return new SignJWT({ roles: input.roles })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(input.sub)
    .setIssuer(input.issuer ?? config.issuer)
    .setAudience(input.audience ?? config.audience)
    .setIssuedAt()
    .setExpirationTime(input.expiresIn ?? '12h')
    .sign(new TextEncoder().encode(input.secret ?? config.secret));
}
