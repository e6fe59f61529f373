import type { MessageBus, OutgoingMessage } from '../src/bus.js';
import { PublishError } from '../src/bus.js';

/** Wraps a real bus: records every publish and can be told to fail them (failure injection). */
export function recording(inner: MessageBus) {
  const published: OutgoingMessage[] = [];
  let failing = false;
  const bus: MessageBus = {
    ...inner,
    driver: `recording(${inner.driver})`,
    async publish(message) {
      if (failing) throw new PublishError('injected failure: broker unreachable');
      const receipt = await inner.publish(message);
      published.push(message);
      return receipt;
    },
  };
  return { bus, published, fail: (on: boolean) => (failing = on) };
}
