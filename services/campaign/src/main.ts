import { startService } from '@beacon/service-kit';
import { campaignService } from './service.js';

await startService(campaignService);
