/**
 * A campaign's retained history, read for a simulation: every topic that decides what it paid, from
 * the earliest message the broker keeps, with readers (nothing acknowledged, no subscription left
 * behind), decoded, kept when it is the campaign's, in publish order.
 */
import {
  fromProperties,
  pulsarTopic,
  unpack,
  type CodecRegistry,
  type IncomingMessage,
  type MessageBus,
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
  const readers = await Promise.all(
    HISTORY_TOPICS.map((topic) =>
      options.bus.read({ topic: pulsarTopic(topic, options.tenant), receiverQueueSize: 1000 }),
    ),
  );
  try {
    await Promise.all(
      readers.map(async (reader) => {
        for (;;) {
          if (cancelled) return;
          const message: IncomingMessage | undefined = await reader.next(options.idleMs ?? 1000);
          if (!message) return;
          for (const item of unpack(message)) {
            const envelope = fromProperties(item.properties);
            if (!/^(campaign|tracking|commission)\./.test(envelope.messageType)) continue;
            const { value } = options.codecs.decode(envelope.messageType, envelope.schemaVersion, item.payload);
            for (const m of campaignMessages(envelope.messageType, value, options.campaignId))
              kept.push({ at: message.publishTime, order: order++, message: m });
          }
          if (kept.length > options.maxMessages)
            throw new HistoryTooLarge(`the campaign's history passes ${options.maxMessages} messages`);
          if (++read % 500 === 0 && (await options.onRead?.(read))) cancelled = true;
        }
      }),
    );
  } finally {
    await Promise.all(readers.map((r) => r.close().catch(() => undefined)));
  }
  if (cancelled) return 'cancelled';
  // Publish order across topics; within a topic (and a publish instant), the order read.
  kept.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.order - b.order));
  return kept.map((s) => s.message);
}
