/**
 * Every secret docker-compose.yml requires, made fresh into an env file Compose reads (mode 600):
 *
 *   npm run compose:secrets [-- <file>]     default .env; refuses to overwrite an existing file
 *
 * The Pulsar token key is 32 random bytes (what `bin/pulsar tokens create-secret-key` makes); each role's
 * token is signed with it. To rotate one secret, edit its line and restart what reads it (README, Security).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { FLEET_SERVICES } from '@beacon/contracts';
import { pulsarToken } from './pulsar-tokens.js';

const secret = () => randomBytes(32).toString('base64url');

export async function composeSecrets(): Promise<Record<string, string>> {
  const key = randomBytes(32);
  const values: Record<string, string> = {
    JWT_SECRET: secret(),
    LINK_SECRET: secret(),
    WEBHOOK_SECRET_KEY: secret(),
    POSTGRES_PASSWORD: secret(),
    GRAFANA_ADMIN_PASSWORD: secret(),
    PULSAR_TOKEN_SECRET_KEY: key.toString('base64'),
    PULSAR_ADMIN_TOKEN: await pulsarToken(key, 'admin'),
  };
  for (const service of FLEET_SERVICES) {
    values[`${service.toUpperCase()}_DB_PASSWORD`] = secret();
    values[`PULSAR_TOKEN_${service.toUpperCase()}`] = await pulsarToken(key, service);
  }
  return values;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv.slice(2).find((a) => a !== '--') ?? '.env';
  if (existsSync(file)) {
    console.error(`${file} exists: not overwritten (move it away to make new secrets)`);
    process.exit(1);
  }
  const values = await composeSecrets();
  writeFileSync(
    file,
    Object.entries(values)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(''),
    { mode: 0o600 },
  );
  console.log(`wrote ${Object.keys(values).length} secrets to ${file}`);
}
