import type { Logger } from 'pino';
import type { MessageBus } from '../bus.js';
import { createMemoryBus } from './memory.js';
import { loadNativeBus } from './native.js';
import { createWebSocketBus } from './websocket.js';

export { createMemoryBus } from './memory.js';
export { loadNativeBus } from './native.js';
export { createWebSocketBus } from './websocket.js';

export type BusDriver = 'websocket' | 'native' | 'memory';

export interface BusConfig {
  driver?: BusDriver;
  /** Broker web URL (WebSocket API and admin), e.g. http://127.0.0.1:8080 */
  serviceUrl: string;
  /** Binary protocol URL for the native driver, e.g. pulsar://127.0.0.1:6650 */
  brokerUrl?: string;
  token?: string;
  logger?: Logger;
  producerName?: string;
}

export async function createBus(config: BusConfig): Promise<MessageBus> {
  const driver = config.driver ?? (process.env.BUS_DRIVER as BusDriver | undefined) ?? 'websocket';
  switch (driver) {
    case 'websocket':
      return createWebSocketBus(config);
    case 'memory':
      return createMemoryBus();
    case 'native': {
      const loaded = await loadNativeBus({
        serviceUrl: config.brokerUrl ?? 'pulsar://127.0.0.1:6650',
        token: config.token,
      });
      if ('reason' in loaded) throw new Error(`native driver unavailable: ${loaded.reason}`);
      return loaded.bus;
    }
    default:
      throw new Error(`unknown BUS_DRIVER "${String(driver)}" (websocket, native or memory)`);
  }
}
