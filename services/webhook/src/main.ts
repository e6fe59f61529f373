import { startService } from '@beacon/service-kit';
import { webhookService } from './service.js';

await startService(webhookService());
