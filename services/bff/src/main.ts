import { startService } from '@beacon/service-kit';
import { ConfigError } from './http/jwt.js';
import { bffService } from './service.js';

let service;
try {
  service = bffService();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  // One line, before any connection is opened: what is wrong and how to fix it.
  console.error(`bff: refusing to start: ${error.message}`);
  process.exit(1);
}
await startService(service);
