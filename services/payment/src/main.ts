import { startService } from '@beacon/service-kit';
import { paymentService } from './service.js';

await startService(paymentService());
