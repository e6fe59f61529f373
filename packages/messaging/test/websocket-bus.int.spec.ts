import { createWebSocketBus } from '../src/drivers/websocket.js';
import { describeBusContract } from './bus-contract.js';
import { BROKER_URL } from './helpers.js';

describeBusContract('websocket driver on the real broker', () => createWebSocketBus({ serviceUrl: BROKER_URL }), {
  topicUnload: true,
  createAt: (serviceUrl, sendTimeoutMs) => createWebSocketBus({ serviceUrl, sendTimeoutMs }),
});
