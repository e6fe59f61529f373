/**
 * Runs queued simulations, one at a time per BFF process: reads the campaign's history (history.ts),
 * runs the deciders over it (engine.ts), and stores the two columns. It writes only its own row and
 * its operation; progress and a heartbeat go to the row as it runs, so a cancel is seen within a
 * moment and a run whose process died is taken up again by another.
 */
import type { Kysely, Selectable } from 'kysely';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import { reviveAmounts, toJsonText } from '@beacon/money';
import type { CodecRegistry, MessageBus } from '@beacon/messaging';
import type { Database } from '../db.js';
import { simulation, type Column, type ProposedTerms } from './engine.js';
import { MESSAGE_TOPICS } from '@beacon/contracts';
import { HISTORY_TOPICS, HistoryIncomplete, HistoryTooLarge, readCampaignHistory } from './history.js';

/** A column as the row keeps it (bigints as decimal strings, maps as entry lists). */
interface StoredColumn {
  totalMinor: string;
  byInfluencer: Array<[string, string]>;
  byDay: Array<[string, string]>;
  rejectedByReason: Array<[string, number]>;
  held: { count: number; amountMinor: string };
  reversed: number;
  budgetExhaustedAt: string | null;
}
export interface StoredResult {
  currency: string;
  proposed: StoredColumn;
  actual: StoredColumn;
  events: number;
}

const stored = (c: Column): StoredColumn => ({
  totalMinor: c.totalMinor.toString(),
  byInfluencer: [...c.byInfluencer].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, v.toString()]),
  byDay: [...c.byDay].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, v.toString()]),
  rejectedByReason: [...c.rejectedByReason].sort(([a], [b]) => a.localeCompare(b)),
  held: { count: c.held.count, amountMinor: c.held.amountMinor.toString() },
  reversed: c.reversed,
  budgetExhaustedAt: c.budgetExhaustedAt,
});

export interface SimulationWorkerOptions {
  db: Kysely<Database>;
  bus: MessageBus;
  codecs: CodecRegistry;
  tenant: string;
  logger: Logger;
  pollMs?: number;
  /** Messages of one campaign a simulation may read (SIMULATION_MAX_MESSAGES, default 500,000). */
  maxMessages?: number;
  /** The inbox subscription of the BFF's live consumers (`bff-service`): what a read is checked against. */
  inboxSubscription: string;
  onDone?: (status: string, seconds: number, messages: number) => void;
}

/** The live consumers' latest claims of each message type that a read must meet (history.ts)… */
const LATEST_CLAIMS_PER_TYPE = 200;
/** … among this many of their latest claims: the look costs the same however large the inbox is. */
const CLAIMS_LOOKED_AT = 50_000;

/**
 * Envelope ids of the messages the live BFF consumers processed last on the history topics, before
 * now: a read of the topics that stops short of any of them stopped in the middle. A type with no
 * claim among the latest CLAIMS_LOOKED_AT (a topic quiet for that long) is not checked.
 */
async function latestProcessed(db: Kysely<Database>, subscription: string): Promise<string[]> {
  const topics: readonly string[] = HISTORY_TOPICS;
  const types = Object.entries(MESSAGE_TOPICS).flatMap(([type, topic]) => (topics.includes(topic) ? [type] : []));
  const { rows } = await sql<{ message_id: string }>`SELECT message_id FROM (
      SELECT message_id, row_number() OVER (PARTITION BY message_type ORDER BY processed_at DESC) AS n
      FROM (SELECT message_id, message_type, processed_at FROM inbox WHERE subscription = ${subscription}
        ORDER BY processed_at DESC LIMIT ${CLAIMS_LOOKED_AT}) recent
      WHERE message_type = ANY(${types}::text[])) latest
    WHERE n <= ${LATEST_CLAIMS_PER_TYPE}`.execute(db);
  return rows.map((r) => r.message_id);
}

/** A running row whose heartbeat is older than this lost its worker. */
const STALE_AFTER_SECONDS = 60;

export function startSimulationWorker(options: SimulationWorkerOptions): () => Promise<void> {
  const { db, logger } = options;
  let stopped = false;
  let running: Promise<void> = Promise.resolve();

  const claim = async (): Promise<Selectable<Database['simulations']> | undefined> =>
    (
      await sql<Selectable<Database['simulations']>>`UPDATE simulations SET status = 'running', heartbeat_at = now()
        WHERE id = (SELECT id FROM simulations
          WHERE status = 'queued' OR (status = 'running' AND heartbeat_at < now() - make_interval(secs => ${STALE_AFTER_SECONDS}))
          ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING *`.execute(db)
    ).rows[0];

  /** Progress and heartbeat; answers whether the run was cancelled meanwhile. */
  const beat = async (id: string, progress: number): Promise<boolean> => {
    const row = await db
      .updateTable('simulations')
      .set({ progress, heartbeat_at: new Date() })
      .where('id', '=', id)
      .where('status', '=', 'running')
      .returning('id')
      .executeTakeFirst();
    return row === undefined;
  };

  const finish = async (
    row: Selectable<Database['simulations']>,
    outcome: { result?: StoredResult; error?: string },
  ) => {
    await db.transaction().execute(async (trx) => {
      const done = await trx
        .updateTable('simulations')
        .set({
          status: outcome.result ? 'completed' : 'failed',
          progress: outcome.result ? 1 : row.progress,
          result: outcome.result ? toJsonText(outcome.result) : null,
          error: outcome.error ?? null,
          completed_at: new Date(),
        })
        .where('id', '=', row.id)
        .where('status', '=', 'running')
        .executeTakeFirst();
      if (Number(done.numUpdatedRows) === 0) return;
      await trx
        .updateTable('operations')
        .set({
          status: outcome.result ? 'completed' : 'failed',
          reason: outcome.error ? outcome.error.slice(0, 200) : null,
          completed_at: new Date(),
        })
        .where('correlation_id', '=', row.correlation_id)
        .execute();
    });
  };

  async function run(row: Selectable<Database['simulations']>): Promise<void> {
    const started = Date.now();
    const terms = reviveAmounts<ProposedTerms & { request: unknown }>(row.terms);
    const processed = await latestProcessed(db, options.inboxSubscription);
    const history = await readCampaignHistory({
      bus: options.bus,
      processed,
      codecs: options.codecs,
      tenant: options.tenant,
      campaignId: row.campaign_id,
      maxMessages: options.maxMessages ?? 500_000,
      // Reading is most of the work; it counts as the first half.
      onRead: (read) => beat(row.id, Math.min(0.45, read / 200_000)),
    });
    if (history === 'cancelled') return options.onDone?.('cancelled', (Date.now() - started) / 1000, 0);
    const steps = simulation(history, {
      campaignId: row.campaign_id,
      proposed: terms,
      from: row.from_at.toISOString(),
      to: row.to_at.toISOString(),
    });
    for (let next = steps.next(); ; next = steps.next()) {
      if (next.done) {
        const r = next.value;
        await finish(row, {
          result: { currency: r.currency, proposed: stored(r.proposed), actual: stored(r.actual), events: r.events },
        });
        options.onDone?.('completed', (Date.now() - started) / 1000, history.length);
        return;
      }
      // Every 1,000 messages: a turn for the requests waiting, and a look at the row.
      await new Promise((resolve) => setImmediate(resolve));
      if (await beat(row.id, 0.5 + (0.5 * next.value) / history.length))
        return options.onDone?.('cancelled', (Date.now() - started) / 1000, next.value);
    }
  }

  const loop = async () => {
    while (!stopped) {
      let row: Selectable<Database['simulations']> | undefined;
      try {
        row = await claim();
        if (row) {
          const claimed = row;
          running = run(claimed).catch(async (error: unknown) => {
            const message =
              error instanceof HistoryTooLarge
                ? `TOO_LARGE: ${error.message}`
                : error instanceof HistoryIncomplete
                  ? `INCOMPLETE: ${error.message}`
                  : (error as Error).message;
            logger.warn({ simulationId: claimed.id, err: message }, 'simulation failed');
            await finish(claimed, { error: message }).catch(() => undefined);
            options.onDone?.('failed', 0, 0);
          });
          await running;
          continue;
        }
      } catch (error) {
        logger.warn({ err: (error as Error).message }, 'simulation worker: claiming failed');
      }
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 1000));
    }
  };
  const looping = loop();
  return async () => {
    stopped = true;
    await running;
    await looping;
  };
}
