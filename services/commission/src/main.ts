import { startService } from '@beacon/service-kit';
import { commissionService } from './service.js';

await startService(commissionService);
