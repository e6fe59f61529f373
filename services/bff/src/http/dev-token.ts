/** Development tokens (HS256 with JWT_SECRET), as `npm run token` prints. Not used by the running BFF. */
import { SignJWT } from 'jose';
import { DEV_SECRET, type Role } from './jwt.js';

export interface DevTokenInput {
  sub: string;
  roles: Role[];
  /** ingest tokens: the brand they write for */
  brand?: string;
  secret?: string;
  expiresIn?: string;
  issuer?: string;
  audience?: string;
}

export async function mintDevToken(input: DevTokenInput): Promise<string> {
  return new SignJWT({ roles: input.roles, ...(input.brand ? { brand: input.brand } : {}) })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(input.sub)
    .setIssuer(input.issuer ?? process.env.JWT_ISSUER ?? 'beacon')
    .setAudience(input.audience ?? process.env.JWT_AUDIENCE ?? 'beacon-bff')
    .setIssuedAt()
    .setExpirationTime(input.expiresIn ?? '12h')
    .sign(new TextEncoder().encode(input.secret ?? (process.env.JWT_SECRET || DEV_SECRET)));
}
