/**
 * A campaign's retained history, read for a simulation: every topic that decides what it paid, from
 * the earliest message the broker keeps, with readers (nothing acknowledged, no subscription left
 * behind), decoded, kept when it is the campaign's, in publish order.
 *
 * A reader cannot ask where its topic ends (the BFF's role may not read topic stats), and a pause is
 * not an end: a busy broker can leave a reader waiting for longer than its idle wait in the middle of
 * a topic. So the read is measured against what the live consumers had processed before it began (the
 * latest inbox claims of each topic): it has reached every topic's end once it has met them all.
 */
import {
  fromProperties,
  pulsarTopic,
  unpack,
  type CodecRegistry,
  type IncomingMessage,
  type MessageBus,
  type Reader,
} from '@beacon/messaging';
import {
  trackingEventsRecordedV2,
  type TrackingEventsRecorded,
  type TrackingEventsRecordedV2,
} from '@beacon/contracts';
import type { HistoryMessage } from './engine.js';

/** The BFF's role reads all of them already (FLEET_ACCESS.bff.consumes). */
export const HISTORY_TOPICS = [
  'campaign/events',
  'tracking/event-batches',
  'tracking/event-batches-v2',
  'commission/events',
  'commission/review-events',
] as const;

export class HistoryTooLarge extends Error {}
/** The readers stopped short of messages the live consumers had processed before the read began. */
export class HistoryIncomplete extends Error {}

interface Options {
  bus: MessageBus;
  codecs: CodecRegistry;
  tenant: string;
  campaignId: string;
  /** Stop with HistoryTooLarge past this many messages of the campaign. */
  maxMessages: number;
  /** How long a reader waits for more before it has read what its topic holds. */
  idleMs?: number;
  /** Called as messages are read (all topics, the campaign's or not); resolving true stops the read (a cancel). */
  onRead?: (read: number) => Promise<boolean>;
  /**
   * Envelope ids of messages on these topics the live consumers processed before the read began: the
   * read is not over until each has been met (see above). None given, an idle reader is taken at its word.
   */
  processed?: Iterable<string>;
  /** How long the readers may take to meet all of `processed` after they first fall idle. Default 60 s. */
  completeWithinMs?: number;
}

type Stamped = { at: string; order: number; message: HistoryMessage };

function campaignMessages(type: string, value: unknown, campaignId: string): HistoryMessage[] {
  if (type === 'tracking.TrackingEventsRecorded' || type === 'tracking.TrackingEventsRecordedV2') {
    const batch =
      type === 'tracking.TrackingEventsRecorded'
        ? trackingEventsRecordedV2(value as TrackingEventsRecorded)
        : (value as TrackingEventsRecordedV2);
    return batch.recorded
      .filter((item) => item.event.campaignId === campaignId)
      .map((item) => ({ type: 'tracking.Recorded', data: item }));
  }
  if ((value as { campaignId?: unknown }).campaignId !== campaignId) return [];
  if (type === 'campaign.CampaignCreated') return [{ type, data: value } as HistoryMessage];
  if (type.startsWith('campaign.')) return [{ type: 'campaign', event: { type, data: value } } as HistoryMessage];
  if (type.startsWith('commission.')) return [{ type: 'commission', event: { type, data: value } } as HistoryMessage];
  return [];
}

export async function readCampaignHistory(options: Options): Promise<HistoryMessage[] | 'cancelled'> {
  const kept: Stamped[] = [];
  let read = 0;
  let order = 0;
  let cancelled = false;
  const unmet = new Set(options.processed ?? []);
  const keptIds = new Set<string>();
  const readers = await Promise.all(
    HISTORY_TOPICS.map((topic) =>
      options.bus.read({ topic: pulsarTopic(topic, options.tenant), receiverQueueSize: 1000 }),
    ),
  );
  /** Reads on until the reader falls idle (it may not be the topic's end: see `processed`). */
  const drain = async (reader: Reader) => {
    for (;;) {
      if (cancelled) return;
      const message: IncomingMessage | undefined = await reader.next(options.idleMs ?? 1000);
      if (!message) return;
      for (const item of unpack(message)) {
        const envelope = fromProperties(item.properties);
        unmet.delete(envelope.messageId);
        if (!/^(campaign|tracking|commission)\./.test(envelope.messageType)) continue;
        const { value } = options.codecs.decode(envelope.messageType, envelope.schemaVersion, item.payload);
        const mine = campaignMessages(envelope.messageType, value, options.campaignId);
        // A message the outbox sent twice is in its topic twice: the live consumers' inbox took it once.
        if (mine.length === 0 || keptIds.has(envelope.messageId)) continue;
        keptIds.add(envelope.messageId);
        for (const m of mine) kept.push({ at: message.publishTime, order: order++, message: m });
      }
      if (kept.length > options.maxMessages)
        throw new HistoryTooLarge(`the campaign's history passes ${options.maxMessages} messages`);
      if (++read % 500 === 0 && (await options.onRead?.(read))) cancelled = true;
      // What the readers buffered is decoded without waiting: the requests the process serves get a turn.
      else if (read % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  };
  try {
    await Promise.all(readers.map(drain));
    const deadline = Date.now() + (options.completeWithinMs ?? 60_000);
    while (unmet.size > 0 && !cancelled) {
      if (Date.now() > deadline)
        throw new HistoryIncomplete(
          `${unmet.size} messages the BFF had processed before the read began were not read back from the topics`,
        );
      await Promise.all(readers.map(drain));
    }
  } finally {
    await Promise.all(readers.map((r) => r.close().catch(() => undefined)));
  }
  if (cancelled) return 'cancelled';
  // Publish order across topics; within a topic (and a publish instant), the order read.
  kept.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.order - b.order));
  return kept.map((s) => s.message);
}
