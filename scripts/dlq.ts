/**
 * Dead-letter topics: look at what failed, and send it back once the cause is fixed.
 *
 *   npm run dlq -- list   <topic> <subscription>     print the dead-lettered messages still waiting (removes nothing)
 *   npm run dlq -- redrive <topic> <subscription>    republish them to <topic> and remove them from the DLQ
 *
 * <topic> is the original topic (e.g. persistent://beacon/commission/events); the DLQ is
 * `<topic>-<subscription>-DLQ` (e.g. subscription commission-service). Messages keep their key and
 * properties, so consumers' inboxes still recognise anything they had already processed; a pack
 * (several messages of one key) is re-driven whole, and its items that had taken effect are skipped.
 */
import { createWebSocketBus, defaultDeadLetterTopic, unpack } from '@beacon/messaging';
import { actAsAdmin } from './lib/secrets.js';

// Re-driving writes to any service's topic: only the admin role may.
actAsAdmin();

const serviceUrl = (process.env.PULSAR_ADMIN_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
const [command, topic, subscription] = process.argv.slice(2).filter((a) => a !== '--');
if (!command || !['list', 'redrive'].includes(command) || !topic?.startsWith('persistent://') || !subscription) {
  console.error('usage: npm run dlq -- list|redrive persistent://<tenant>/<namespace>/<topic> <subscription>');
  process.exit(2);
}
const dlq = defaultDeadLetterTopic(topic, subscription);

const REDRIVE_SUBSCRIPTION = 'dlq-redrive';

/** Waits until `count()` stops changing for a moment: a topic has no "end" signal for consumers. */
async function quiet(count: () => number): Promise<void> {
  let last = -1;
  while (last !== count()) {
    last = count();
    await new Promise((r) => setTimeout(r, 1500));
  }
}

const bus = createWebSocketBus({ serviceUrl });
const options = {
  topic: dlq,
  subscription: REDRIVE_SUBSCRIPTION,
  type: 'Shared' as const,
  initialPosition: 'Earliest' as const,
  maxDeliveries: 0,
  nackRedeliveryDelayMs: 600_000,
};
if (command === 'list') {
  // Receives what is still waiting for a redrive and hands it back unacknowledged (a long nack delay).
  const seen = new Map<string, string>();
  const sub = await bus.subscribe(options, async (m) => {
    const line = (p: Record<string, string>) =>
      `- ${p['message-type'] ?? '?'}  key=${m.key ?? ''}  message-id=${p['message-id'] ?? '?'}  ` +
      `correlation-id=${p['correlation-id'] ?? '?'}  published ${m.publishTime}`;
    // A pack is listed item by item: each is a message of its own to the consumers' inboxes.
    let items: string[];
    try {
      items = unpack(m).map((item, i, all) =>
        all.length > 1 ? `${line(item.properties)}  (pack item ${i + 1}/${all.length})` : line(item.properties),
      );
    } catch (error) {
      items = [`${line(m.properties)}  (an unreadable pack: ${(error as Error).message})`];
    }
    seen.set(m.brokerMessageId, items.join('\n'));
    throw new Error('listing only: leave it in the dead-letter topic');
  });
  await quiet(() => seen.size);
  await sub.close();
  console.log(`${seen.size} message(s) waiting in ${dlq}`);
  for (const line of seen.values()) console.log(line);
} else {
  let moved = 0;
  // Republished first, acknowledged after: a crash in between re-drives twice, which inboxes absorb.
  const sub = await bus.subscribe(options, async (m) => {
    await bus.publish({
      topic,
      key: m.key ?? m.properties['message-id'] ?? 'redriven',
      payload: m.payload,
      properties: m.properties,
    });
    moved++;
  });
  await quiet(() => moved);
  await sub.close();
  console.log(`re-drove ${moved} message(s) from ${dlq} to ${topic}`);
}
await bus.close();
