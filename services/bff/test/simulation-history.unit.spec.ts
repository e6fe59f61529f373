/**
 * Reading a campaign's history for a backtest (history.ts): a reader that falls idle in the middle of
 * a topic is not taken at its word while messages the live consumers processed are still unread.
 */
import { codecs as contractCodecs } from '@beacon/contracts';
import { createMemoryBus, newFlowEnvelope, pulsarTopic, toProperties, type MessageBus } from '@beacon/messaging';
import { campaignCreated } from '@beacon/testing';
import { HistoryIncomplete, readCampaignHistory } from '../src/simulations/history.js';

const codecs = contractCodecs();
const TENANT = 'beacon';
const TYPE = 'campaign.CampaignCreated';

/** A CampaignCreated of `campaignId` for campaign/events: its envelope id now, published when asked. */
function message(bus: MessageBus, campaignId: string) {
  const envelope = newFlowEnvelope({
    messageType: TYPE,
    schemaVersion: codecs.topicOf(TYPE).version,
    producer: 'test',
  });
  return {
    id: envelope.messageId,
    publish: () =>
      bus.publish({
        topic: pulsarTopic('campaign/events', TENANT),
        key: campaignId,
        payload: codecs.encode(TYPE, campaignCreated({ campaignId })),
        properties: toProperties(envelope),
      }),
  };
}

const read = (bus: MessageBus, processed: string[] | undefined, completeWithinMs = 10_000) =>
  readCampaignHistory({
    bus,
    codecs,
    tenant: TENANT,
    campaignId: 'cmp-a',
    maxMessages: 1000,
    idleMs: 100,
    processed,
    completeWithinMs,
  });

const later = (ms: number, run: () => unknown) => setTimeout(() => void run(), ms);

describe('readCampaignHistory (a backtest reads the history)', () => {
  it('reads on past a pause until it has met every message the live consumers had processed', async () => {
    const bus = createMemoryBus();
    const [first, second, other] = [message(bus, 'cmp-a'), message(bus, 'cmp-a'), message(bus, 'cmp-b')];
    await first.publish();
    await other.publish();
    // Published well after the readers first fall idle (100 ms): a broker that kept them waiting mid-topic.
    later(700, second.publish);
    const history = await read(bus, [first.id, other.id, second.id]);
    // Both of the campaign's (another campaign's message is met, and not kept).
    expect(history).toHaveLength(2);
  });

  it('without the processed ids to meet, an idle reader is taken at its word (what the check guards against)', async () => {
    const bus = createMemoryBus();
    const [first, second] = [message(bus, 'cmp-a'), message(bus, 'cmp-a')];
    await first.publish();
    later(700, second.publish);
    expect(await read(bus, undefined)).toHaveLength(1);
  });

  it('keeps a message its topic holds twice (an outbox that resent it) once, as the live consumers took it', async () => {
    const bus = createMemoryBus();
    const once = message(bus, 'cmp-a');
    await once.publish();
    await once.publish();
    expect(await read(bus, [once.id])).toHaveLength(1);
  });

  it('a processed message the topics never give back fails the read, saying so', async () => {
    const bus = createMemoryBus();
    const first = message(bus, 'cmp-a');
    await first.publish();
    const missing = message(bus, 'cmp-a'); // never published
    await expect(read(bus, [first.id, missing.id], 500)).rejects.toThrow(HistoryIncomplete);
    await expect(read(bus, [first.id, missing.id], 500)).rejects.toThrow(
      '1 messages the BFF had processed before the read began were not read back from the topics',
    );
  });
});
