/**
 * The broker runs with token authentication everywhere: a process proves its Pulsar role with a token,
 * from `PULSAR_TOKEN` or from the file `PULSAR_TOKEN_FILE` names (the file wins nowhere: the variable is
 * for tests and one-off tools, the file for a service whose token an operator rotates on disk).
 */
import { readFileSync } from 'node:fs';

export function pulsarTokenFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.PULSAR_TOKEN) return env.PULSAR_TOKEN.trim();
  if (env.PULSAR_TOKEN_FILE) return readFileSync(env.PULSAR_TOKEN_FILE, 'utf8').trim();
  return undefined;
}

/** `Authorization: Bearer` for the admin REST API and the WebSocket API, or nothing without a token. */
export function pulsarAuthHeaders(token: string | undefined = pulsarTokenFromEnv()): Record<string, string> {
  return token ? { Authorization: `Bearer ${token}` } : {};
}
