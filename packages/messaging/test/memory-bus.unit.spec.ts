import { createMemoryBus } from '../src/drivers/memory.js';
import { describeBusContract } from './bus-contract.js';

// The memory bus has no broker: the unload and connection-drop cases are skipped for that reason.
describeBusContract('memory driver', () => createMemoryBus(), { topicUnload: false, holdsKeys: true });
