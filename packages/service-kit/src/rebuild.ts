/**
 * Rebuilding a read model from its topics' history, while the service keeps serving from the old one:
 *
 *   1. a sandbox schema gets empty copies of the read model's tables (and of the tables its handlers
 *      touch but do not own: the inbox, the outbox, ...), and the history of every topic it projects
 *      from is read (readers, from the earliest message) and applied there by the service's own
 *      handlers, through the same steps a subscription runs (messageApplier);
 *   2. it reads on until the readers have nothing more (caught up with the live stream);
 *   3. in one transaction it locks the live tables (the live consumers and requests wait), applies
 *      what the live consumers had processed and it had not yet read, hands its inbox claims to the
 *      live inbox (so what it applied is not applied again), and swaps the tables: the old ones move
 *      to a `retired_*` schema, the new ones into `public`. A failure anywhere before the commit
 *      leaves the live read model as it was.
 *
 * Handlers run with `search_path` set to the sandbox only, so a table the model forgot to declare is
 * an error, never a write to a live table.
 */
import pg from 'pg';
import { Kysely, PostgresDialect, sql } from 'kysely';
import type { Logger } from 'pino';
import {
  messageApplier,
  unpack,
  type CodecRegistry,
  type IncomingMessage,
  type MessageBus,
  type MessagingTables,
  type Reader,
} from '@beacon/messaging';
import type { MessageHandlers } from '@beacon/contracts';

export interface ReadModel<DB> {
  /** Replaced by the rebuild. */
  tables: string[];
  /** Views over those tables, recreated over the new ones. */
  views?: string[];
  /** Tables the handlers read or write that the rebuild does not replace: empty copies in the sandbox. */
  scratch?: string[];
  /** Rows of a rebuilt table that no topic holds, copied from the live table at the swap: table → SQL condition. */
  carryOver?: Record<string, string>;
  /**
   * Rows the live service prunes past a retention shorter than the topics' (a timeline's steps):
   * deleted from the sandbox before the swap, table → SQL condition, so the rebuild does not bring them back.
   */
  trim?: Record<string, string>;
  /**
   * Columns whose values depend on when a row was written, not on the events (a sequence, an arrival
   * time): left out when a rebuild is compared with the tables it replaced (compareWithRetired).
   */
  incidental?: string[];
  /** The inbox subscription the live consumers claim messages under, e.g. `bff-service`. */
  subscription: string;
  /** Full topic names and the handlers that project each. */
  topics: Array<{ topic: string; handlers: MessageHandlers<DB> }>;
}

export interface RebuildOptions<DB> {
  service: string;
  model: ReadModel<DB>;
  databaseUrl: string;
  bus: MessageBus;
  codecs: CodecRegistry;
  logger: Logger;
  /** A reader that got nothing for this long has read what its topic holds so far. Default 1000 ms. */
  idleMs?: number;
  /** Messages read per topic before they are applied. Default 2000. */
  round?: number;
  /** How long the swap may hold the live tables while it applies what it had not read. Default 30 s. */
  swapTimeoutMs?: number;
  /** Runs once the sandbox has caught up, before the swap (a test makes live traffic arrive here). */
  beforeSwap?: () => Promise<void>;
  onProgress?: (applied: number) => void;
}

export interface RebuildReport {
  /** Messages applied (pack items counted one by one). */
  applied: number;
  seconds: number;
  /** Where the old tables went (kept for inspection; drop it when satisfied). */
  retiredSchema: string;
  /** How long the live tables were locked for the swap. */
  swapMs: number;
  /** Messages that failed every attempt (the live consumers dead-letter those). */
  passedOver: number;
}

/** A message's items: a pack (several messages of one key in one, pack.ts) counts each; an unreadable one counts one. */
const itemsOf = (m: IncomingMessage) => {
  try {
    return unpack(m).length;
  } catch {
    return 1;
  }
};

/** As a live consumer's delivery limit before the dead-letter topic (service.ts: maxDeliveries). */
const MAX_ATTEMPTS = 10;

const ident = (name: string) => {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`refusing the identifier "${name}"`);
  return sql.id(name);
};

/** Empty copies in `schema` of public tables: columns, defaults (own sequences), constraints and indexes by their names. */
async function copyTables(db: Kysely<unknown>, schema: string, tables: string[]): Promise<void> {
  for (const table of tables) {
    await sql`CREATE TABLE ${ident(schema)}.${ident(table)} (LIKE public.${ident(table)} INCLUDING ALL)`.execute(db);
    // LIKE copies a serial's default as it is: a nextval of the live table's sequence. The copy gets its own.
    const serials = await sql<{ column_name: string; sequence: string }>`
      SELECT column_name, pg_get_serial_sequence(format('public.%I', table_name), column_name) AS sequence
        FROM information_schema.columns
       WHERE table_schema = 'public' AND table_name = ${table}
         AND pg_get_serial_sequence(format('public.%I', table_name), column_name) IS NOT NULL`.execute(db);
    for (const { column_name, sequence } of serials.rows) {
      const name = sequence.replace(/^public\./, '').replaceAll('"', '');
      await sql`CREATE SEQUENCE ${ident(schema)}.${ident(name)} OWNED BY ${ident(schema)}.${ident(table)}.${ident(column_name)}`.execute(
        db,
      );
      await sql`ALTER TABLE ${ident(schema)}.${ident(table)} ALTER COLUMN ${ident(column_name)}
        SET DEFAULT nextval(${sql.lit(`${schema}.${name}`)}::regclass)`.execute(db);
    }
    // LIKE names indexes by its own rule; migrations name theirs. Same definition → the live name.
    const indexes = await sql<{ schemaname: string; indexname: string; indexdef: string }>`
      SELECT i.schemaname, i.indexname, i.indexdef FROM pg_indexes i
       WHERE i.tablename = ${table} AND i.schemaname IN ('public', ${schema})`.execute(db);
    const shape = (def: string, name: string, schemaName: string) =>
      def.replace(` ${name} ON `, ' ? ON ').replace(` ${schemaName}.`, ' ');
    const live = new Map(
      indexes.rows.filter((i) => i.schemaname === 'public').map((i) => [shape(i.indexdef, i.indexname, 'public'), i]),
    );
    for (const copy of indexes.rows.filter((i) => i.schemaname === schema)) {
      const original = live.get(shape(copy.indexdef, copy.indexname, schema));
      if (original && original.indexname !== copy.indexname)
        await sql`ALTER INDEX ${ident(schema)}.${ident(copy.indexname)} RENAME TO ${ident(original.indexname)}`.execute(
          db,
        );
    }
  }
}

/**
 * What every reader holds now (up to `round` each, read side by side), and the publish time up to which
 * that is all of it: a reader that gave messages may hold more, so nothing published after its last
 * message is complete yet. Messages after that watermark wait for the next round, so history is applied in
 * publish order across topics.
 */
async function readRound(
  readers: Reader[],
  round: number,
  idleMs: number,
): Promise<{ messages: IncomingMessage[]; watermark: number }> {
  let watermark = Number.POSITIVE_INFINITY;
  const taken = await Promise.all(
    readers.map(async (reader) => {
      const got: IncomingMessage[] = [];
      for (let n = 0; n < round; n++) {
        const message = await reader.next(n === 0 ? idleMs : Math.min(idleMs, 50));
        if (!message) break;
        got.push(message);
      }
      // A reader that gave anything may hold more (a pause of 50 ms is not the end of a topic): nothing
      // published after its last message is complete yet. One that gave nothing has read its topic.
      const last = Date.parse(got.at(-1)?.publishTime ?? '');
      if (Number.isFinite(last)) watermark = Math.min(watermark, last);
      return got;
    }),
  );
  return { messages: taken.flat(), watermark };
}

const byPublishTime = (a: IncomingMessage, b: IncomingMessage) => Date.parse(a.publishTime) - Date.parse(b.publishTime);

export async function rebuildReadModel<DB extends MessagingTables>(
  options: RebuildOptions<DB>,
): Promise<RebuildReport> {
  const { model, logger } = options;
  const started = Date.now();
  const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
  const sandbox = `rebuild_${options.service}`;
  const retiredSchema = `retired_${options.service}_${stamp}`;
  const scratch = [...new Set([...(model.scratch ?? []), 'inbox', 'outbox'])];
  const admin = new Kysely<unknown>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: options.databaseUrl, max: 2 }) }),
  });
  const sandboxPool = new pg.Pool({
    connectionString: options.databaseUrl,
    max: 4,
    options: `-c search_path=${sandbox}`,
  });
  sandboxPool.on('error', () => undefined);
  const sandboxDb = new Kysely<DB>({ dialect: new PostgresDialect({ pool: sandboxPool }) });
  const readers: Reader[] = [];
  try {
    // A sandbox left by a rebuild that stopped part-way is discarded: it was never swapped in.
    await sql`DROP SCHEMA IF EXISTS ${ident(sandbox)} CASCADE`.execute(admin);
    await sql`CREATE SCHEMA ${ident(sandbox)}`.execute(admin);
    await copyTables(admin, sandbox, [...model.tables, ...scratch]);
    // Rows no topic holds are there from the start (a projection may read them: the BFF's command steps), and again at the swap.
    const carryOver = async (executor: Kysely<unknown>) => {
      for (const [table, condition] of Object.entries(model.carryOver ?? {}))
        await sql`INSERT INTO ${ident(sandbox)}.${ident(table)} SELECT * FROM public.${ident(table)} WHERE ${sql.raw(condition)}
          ON CONFLICT DO NOTHING`.execute(executor);
    };
    await carryOver(admin);
    const viewDefinitions = new Map<string, string>();
    for (const view of model.views ?? []) {
      const { rows } = await sql<{ def: string }>`SELECT pg_get_viewdef(${`public.${view}`}::regclass) AS def`.execute(
        admin,
      );
      viewDefinitions.set(view, rows[0]?.def ?? '');
    }
    // Unqualified names in a view definition bind in the sandbox, whose search_path is the sandbox only.
    for (const [view, def] of viewDefinitions)
      await sql`CREATE VIEW ${ident(view)} AS ${sql.raw(def)}`.execute(sandboxDb);

    const appliers = new Map(
      model.topics.map(({ topic, handlers }) => [
        topic,
        messageApplier<DB>({
          db: sandboxDb,
          codecs: options.codecs,
          service: options.service,
          // A line per message is a live consumer's debugging aid; a rebuild reports its totals.
          logger: logger.child({}, { level: 'warn' }),
          handlers: handlers as never,
          subscription: { topic, name: model.subscription },
          maxBatch: 500,
        }),
      ]),
    );
    for (const { topic } of model.topics) readers.push(await options.bus.read({ topic, receiverQueueSize: 1000 }));

    let applied = 0;
    /** Messages whose handler failed (a dependency not there yet, as a live consumer would nack): tried again next round. */
    let failed: IncomingMessage[] = [];
    /** ... up to the live consumers' delivery limit; then, as they would dead-letter it, it is passed over. */
    const attempts = new Map<string, number>();
    let passedOver = 0;
    const apply = async (messages: IncomingMessage[]) => {
      // In publish order across topics; a run of one topic's messages in one transaction.
      const runs: IncomingMessage[][] = [];
      for (const m of [...failed, ...messages]) {
        const last = runs.at(-1);
        if (last && last[0]?.topic === m.topic && last.length < 500) last.push(m);
        else runs.push([m]);
      }
      failed = [];
      for (const run of runs) {
        const applier = appliers.get(run[0]?.topic ?? '');
        if (!applier) continue;
        const verdicts = await applier.handleDeliveries(run);
        run.forEach((m, i) => {
          if (verdicts[i] === true) return void (applied += itemsOf(m));
          // Not tried, behind a failure earlier in the run: next round, and it does not count as an attempt.
          if (verdicts[i] === 'deferred') return void failed.push(m);
          const tries = (attempts.get(m.brokerMessageId) ?? 0) + 1;
          attempts.set(m.brokerMessageId, tries);
          if (tries < MAX_ATTEMPTS) failed.push(m);
          else {
            passedOver++;
            logger.warn(
              { topic: m.topic, brokerMessageId: m.brokerMessageId },
              'a message failed every attempt; passed over',
            );
          }
        });
      }
      options.onProgress?.(applied);
    };

    const idleMs = options.idleMs ?? 1000;
    const round = options.round ?? 2000;
    // 1 and 2: history, then the live stream until a round finds nothing new.
    /** Read but past the watermark: applied in a later round. */
    let carried: IncomingMessage[] = [];
    const step = async (waitMs: number) => {
      const { messages, watermark } = await readRound(readers, round, waitMs);
      const all = [...carried, ...messages].sort(byPublishTime);
      const ready = all.filter((m) => Date.parse(m.publishTime) <= watermark);
      carried = all.filter((m) => !(Date.parse(m.publishTime) <= watermark));
      await apply(ready);
      return messages.length;
    };
    for (;;) {
      // What the readers hold now; only when none holds anything, a wait of idleMs says whether that is the end.
      if ((await step(50)) > 0) continue;
      if ((await step(idleMs)) === 0 && carried.length === 0) break;
    }
    logger.info({ applied, seconds: (Date.now() - started) / 1000 }, 'rebuild caught up; swapping');
    await options.beforeSwap?.();

    // 3: the swap, in one transaction holding the live tables.
    const swapStarted = Date.now();
    const sub = model.subscription;
    // The same subscription may consume topics that are not the model's (a service's own commands).
    const handledTypes = [...new Set(model.topics.flatMap(({ handlers }) => Object.keys(handlers)))];
    await admin.transaction().execute(async (trx) => {
      const locked = ['inbox', ...model.tables].map((t) => sql`public.${ident(t)}`);
      await sql`SET LOCAL lock_timeout = '10s'`.execute(trx);
      await sql`LOCK TABLE ${sql.join(locked)} IN ACCESS EXCLUSIVE MODE`.execute(trx);
      // What the live consumers processed (their inbox claims) must all be in the sandbox before it replaces them.
      const missing = async () =>
        Number(
          (
            await sql<{ n: string }>`SELECT count(*) AS n FROM public.inbox p WHERE p.subscription = ${sub}
              AND p.message_type = ANY(${handledTypes}::text[])
              AND NOT EXISTS (SELECT 1 FROM ${ident(sandbox)}.inbox r
                WHERE r.subscription = p.subscription AND r.message_id = p.message_id)`.execute(trx)
          ).rows[0]?.n ?? 0,
        );
      for (let left = await missing(); left > 0 || failed.length > 0; left = await missing()) {
        if (Date.now() - swapStarted > (options.swapTimeoutMs ?? 30_000))
          throw new Error(
            `${left} messages the live consumers processed are not in the topics' history read so far, ` +
              `and ${failed.length} failed: not swapped`,
          );
        await step(200);
      }
      for (const [table, condition] of Object.entries(model.trim ?? {}))
        await sql`DELETE FROM ${ident(sandbox)}.${ident(table)} WHERE ${sql.raw(condition)}`.execute(trx);
      // Only the claims the live inbox lacks (one anti-join, not a conflict check per row).
      await sql`INSERT INTO public.inbox SELECT r.* FROM ${ident(sandbox)}.inbox r
        WHERE NOT EXISTS (SELECT 1 FROM public.inbox p WHERE p.subscription = r.subscription AND p.message_id = r.message_id)
        ON CONFLICT DO NOTHING`.execute(trx);
      await carryOver(trx);
      await sql`CREATE SCHEMA ${ident(retiredSchema)}`.execute(trx);
      for (const view of model.views ?? [])
        await sql`ALTER VIEW public.${ident(view)} SET SCHEMA ${ident(retiredSchema)}`.execute(trx);
      for (const table of model.tables) {
        await sql`ALTER TABLE public.${ident(table)} SET SCHEMA ${ident(retiredSchema)}`.execute(trx);
        await sql`ALTER TABLE ${ident(sandbox)}.${ident(table)} SET SCHEMA public`.execute(trx);
      }
      for (const view of model.views ?? [])
        await sql`ALTER VIEW ${ident(sandbox)}.${ident(view)} SET SCHEMA public`.execute(trx);
    });
    const swapMs = Date.now() - swapStarted;
    await sql`DROP SCHEMA ${ident(sandbox)} CASCADE`.execute(admin);
    const seconds = (Date.now() - started) / 1000;
    logger.info({ applied, passedOver, seconds, swapMs, retiredSchema }, 'read model rebuilt and swapped in');
    return { applied, passedOver, seconds, retiredSchema, swapMs };
  } finally {
    await Promise.all(readers.map((r) => r.close().catch(() => undefined)));
    await sandboxDb.destroy();
    await admin.destroy();
  }
}

/** How one rebuilt table differs from the one it replaced: rows (less incidental columns) only one side has. */
export interface TableComparison {
  table: string;
  onlyBefore: number;
  onlyAfter: number;
}

/**
 * Compares each rebuilt table with the one the swap retired, row for row less `incidental` columns
 * (as multisets: a row twice on one side and once on the other counts once). Answers the tables in order.
 */
export async function compareWithRetired(options: {
  databaseUrl: string;
  tables: string[];
  retiredSchema: string;
  incidental?: string[];
}): Promise<TableComparison[]> {
  const db = new Kysely<unknown>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: options.databaseUrl, max: 1 }) }),
  });
  const left = options.incidental ?? [];
  try {
    const comparisons: TableComparison[] = [];
    for (const table of options.tables) {
      const rows = (schema: string) =>
        sql`SELECT to_jsonb(t) - ${left}::text[] FROM ${ident(schema)}.${ident(table)} t`;
      const { rows: counted } = await sql<{ only_before: string; only_after: string }>`SELECT
          (SELECT count(*) FROM (${rows(options.retiredSchema)} EXCEPT ALL ${rows('public')}) b) AS only_before,
          (SELECT count(*) FROM (${rows('public')} EXCEPT ALL ${rows(options.retiredSchema)}) a) AS only_after`.execute(
        db,
      );
      const [row] = counted;
      comparisons.push({ table, onlyBefore: Number(row?.only_before ?? 0), onlyAfter: Number(row?.only_after ?? 0) });
    }
    return comparisons;
  } finally {
    await db.destroy();
  }
}
