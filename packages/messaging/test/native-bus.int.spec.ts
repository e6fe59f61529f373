import { loadNativeBus } from '../src/drivers/native.js';
import { describeBusContract } from './bus-contract.js';

const brokerUrl = process.env.PULSAR_URL ?? 'pulsar://127.0.0.1:6650';
const probe = await loadNativeBus({ serviceUrl: brokerUrl });

if ('bus' in probe) {
  await probe.bus.close();
  describeBusContract(
    'native driver on the real broker',
    async () => {
      const loaded = await loadNativeBus({ serviceUrl: brokerUrl });
      if (!('bus' in loaded)) throw new Error(loaded.reason);
      return loaded.bus;
    },
    {
      topicUnload: true,
      holdsKeys: {
        no: "the native driver negatively acknowledges and moves on; holding keys is the WebSocket driver's",
      },
    },
  );
} else {
  describe('MessageBus contract: native driver', () => {
    it.skip(`not run: ${probe.reason}`, () => undefined);
  });
}
