import { startService } from '@beacon/service-kit';
import { bffService } from './service.js';

await startService(bffService());
