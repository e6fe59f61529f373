import { startService } from '@beacon/service-kit';
import { trackingService } from './service.js';

await startService(trackingService);
