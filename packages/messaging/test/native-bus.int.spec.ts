import { loadNativeBus } from '../src/drivers/native.js';
import { describeBusContract } from './bus-contract.js';

const brokerUrl = process.env.PULSAR_URL ?? 'pulsar://127.0.0.1:6650';
const loaded = await loadNativeBus({ serviceUrl: brokerUrl });

if ('bus' in loaded) {
  await loaded.bus.close();
  describeBusContract('native driver on the real broker', () => {
    let bus: import('../src/bus.js').MessageBus | undefined;
    // The factory must be synchronous; the native client connects lazily, so one is built per test.
    void loadNativeBus({ serviceUrl: brokerUrl }).then((l) => ('bus' in l ? (bus = l.bus) : undefined));
    return new Proxy({} as import('../src/bus.js').MessageBus, { get: (_t, p) => (bus as unknown as Record<string | symbol, unknown>)[p] });
  }, { topicUnload: true });
} else {
  describe('MessageBus contract: native driver', () => {
    it.skip(`not run: ${loaded.reason}`, () => undefined);
  });
}
