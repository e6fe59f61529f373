// Integration tests drive the broker as its administrator (they make and delete tenants, unload
// topics, read any topic); the fleet a test starts runs each service with its own role instead.
import { homedir } from 'node:os';
import { join } from 'node:path';

const secrets =
  process.env.BEACON_SECRETS_DIR ?? join(process.env.BEACON_CACHE_DIR ?? join(homedir(), '.cache/beacon'), 'secrets');
if (!process.env.PULSAR_TOKEN) process.env.PULSAR_TOKEN_FILE ??= join(secrets, 'pulsar', 'admin.token');
