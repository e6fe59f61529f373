/**
 * Pulsar role tokens, signed with the broker's secret key (made by `bin/pulsar tokens create-secret-key`):
 * the same HS256 JWT with a `sub` claim that `bin/pulsar tokens create` makes, minted with jose in one
 * process instead of one JVM start per role.
 *
 *   tsx scripts/pulsar-tokens.ts <dir holding secret.key> <role>...   writes <dir>/<role>.token (mode 600)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT } from 'jose';

export async function pulsarToken(secretKey: Uint8Array, role: string): Promise<string> {
  return new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(role).sign(secretKey);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [dir, ...roles] = process.argv.slice(2);
  if (!dir || roles.length === 0) {
    console.error('usage: tsx scripts/pulsar-tokens.ts <dir> <role>...');
    process.exit(2);
  }
  const key = readFileSync(join(dir, 'secret.key'));
  for (const role of roles) {
    writeFileSync(join(dir, `${role}.token`), await pulsarToken(key, role), { mode: 0o600 });
  }
  console.error(`[pulsar] tokens for ${roles.join(', ')} in ${dir}`);
}
