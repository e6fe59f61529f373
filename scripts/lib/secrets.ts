/**
 * Where the local fleet's secrets live and how a service finds its own: one directory outside the
 * repository (BEACON_SECRETS_DIR, default ~/.cache/beacon/secrets, owner-only), made at set-up.
 *
 *   pulsar/secret.key, pulsar/<role>.token   the broker's token key and each role's token (scripts/pulsar.sh)
 *   postgres/<service>.password              each service's PostgreSQL password (scripts/provision.ts)
 *
 * Anywhere else an operator supplies them: PULSAR_TOKEN(_FILE), <SERVICE>_DB_PASSWORD or <SERVICE>_DATABASE_URL.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const secretsDir = (env: NodeJS.ProcessEnv = process.env): string =>
  env.BEACON_SECRETS_DIR ?? join(env.BEACON_CACHE_DIR ?? join(homedir(), '.cache/beacon'), 'secrets');

/** The token file of a Pulsar role (admin, or a service's name). */
export const pulsarTokenFile = (role: string, env: NodeJS.ProcessEnv = process.env): string =>
  join(secretsDir(env), 'pulsar', `${role}.token`);

/** The PostgreSQL role a service connects as. */
export const databaseRole = (service: string): string => `beacon_${service}`;

/** A service's PostgreSQL password: `<SERVICE>_DB_PASSWORD`, else the local file, made once (24 random bytes). */
export function databasePassword(service: string, env: NodeJS.ProcessEnv = process.env): string {
  const given = env[`${service.toUpperCase()}_DB_PASSWORD`];
  if (given) return given;
  const dir = join(secretsDir(env), 'postgres');
  const file = join(dir, `${service}.password`);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(file, randomBytes(24).toString('base64url'), { mode: 0o600, flag: 'wx' });
  }
  return readFileSync(file, 'utf8').trim();
}

/** The URL a service connects with: `<SERVICE>_DATABASE_URL`, else its own role on its own database. */
export function serviceDatabaseUrl(service: string, env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env[`${service.toUpperCase()}_DATABASE_URL`];
  if (explicit) return explicit;
  const host = env.PGHOST ?? '127.0.0.1';
  const port = env.PGPORT ?? '5432';
  const password = encodeURIComponent(databasePassword(service, env));
  return `postgres://${databaseRole(service)}:${password}@${host}:${port}/beacon_${service}`;
}

/** What a service of the local fleet is started with: its own Pulsar token and its own database role. */
export const serviceSecretsEnv = (service: string, env: NodeJS.ProcessEnv = process.env): Record<string, string> => ({
  PULSAR_TOKEN: '',
  PULSAR_TOKEN_FILE: pulsarTokenFile(service, env),
  [`${service.toUpperCase()}_DATABASE_URL`]: serviceDatabaseUrl(service, env),
});

/** Operator tools (the DLQ tool, the proof, benches) act as the admin role unless told otherwise. */
export function actAsAdmin(env: NodeJS.ProcessEnv = process.env): void {
  if (!env.PULSAR_TOKEN && !env.PULSAR_TOKEN_FILE) env.PULSAR_TOKEN_FILE = pulsarTokenFile('admin', env);
}
