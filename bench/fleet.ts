/**
 * The fleet benchmark: every Beacon figure beside the limit it is judged against, measured in one
 * run on this machine (a shared, noisy machine: the ratios mean something, absolute numbers alone
 * do not).
 *
 *   pnpm bench:fleet [-- --seconds 60 --connections 50]
 *
 * Limits: a naive express + one INSERT per request endpoint (autocannon, same bodies), raw Pulsar
 * (the distribution's pulsar-perf), raw PostgreSQL (1,000-row INSERT … SELECT FROM unnest), and the
 * websocket driver alone. Beacon: single-event ingest through the JWT BFF, batch ingest, and
 * conversion → CommissionApproved latency with impressions flowing beside. Starts its own fleet
 * (ports 18500/19500): stop any other fleet first, they would share Pulsar subscriptions.
 * Writes bench/RESULTS.md and bench/throughput.svg.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, homedir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { mintDevToken } from '@beacon/bff-service/dev-token';
import { pulsarAuthHeaders } from '@beacon/messaging';
import { FLEET_ACCESS } from '@beacon/contracts';
import { startFleet } from '../scripts/fleet.js';
import { actAsAdmin, pulsarTokenFile, serviceDatabaseUrl } from '../scripts/lib/secrets.js';
import { Client, percentile } from '../scripts/lib/client.js';
import { measureWebSocketDriver } from './lib/websocket-driver.js';
import { measureWebhooks } from './lib/webhooks.js';
import { measureHistory, type HistoryFigures } from './lib/history.js';
import { defined } from '@beacon/domain';

// The bench reads the broker's topic stats, which only the admin role may.
actAsAdmin();
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const SECONDS = arg('seconds', 20);
/** `--only conversions` (or `ingest`): measure that alone, print it, and leave RESULTS.md as it is. */
const ONLY = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const CONNECTIONS = arg('connections', 50);
/** `--replicas 2`: two of every service, the BFF included (load spread over both BFFs). */
const REPLICAS = arg('replicas', 1);
/** Every BFF replica's URL, once the fleet is up. */
let BFF_URLS: string[] = [];
/** Seconds of unmeasured load per kind before the first measurement. */
const WARMUP = arg('warmup', 15);
const PG = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
const PULSAR_HOME = join(
  process.env.BEACON_CACHE_DIR ?? join(homedir(), '.cache/beacon'),
  `apache-pulsar-${process.env.PULSAR_VERSION ?? '4.0.8'}`,
);
const say = (line: string) => console.log(line);

interface Row {
  measurement: string;
  value: string;
  limit?: string;
  ratio?: number;
  target?: string;
}
const rows: Row[] = [];
const series: Array<{ name: string; points: Array<{ t: number; accepted: number; persisted: number }> }> = [];

// ---- CPU per process, from /proc ----------------------------------------------------------------

function ticksOf(pids: number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      const fields = (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ');
      total += Number(fields[11]) + Number(fields[12]); // utime + stime, in clock ticks
    } catch {
      // the process ended
    }
  }
  return total;
}

/** Processes whose command line matches `pattern` (none, when nothing does). */
function pids(pattern: string): number[] {
  try {
    return execFileSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function fleetProcesses(): Record<string, number[]> {
  const processes: Record<string, number[]> = {};
  for (const s of ['bff', 'campaign', 'tracking', 'commission', 'payment', 'webhook'])
    processes[s] = [...pids(`services/${s}/src/main.ts`), ...pids(`dist/${s}.mjs`)];
  processes.pulsar = [
    Number(
      readFileSync(
        join(process.env.BEACON_CACHE_DIR ?? join(homedir(), '.cache/beacon'), 'pulsar-run/pulsar.pid'),
        'utf8',
      ),
    ),
  ];
  processes.postgres = pids('postgres:');
  processes['load generator'] = [process.pid];
  return processes;
}

/** CPU a piece of work cost, per process: milliseconds of CPU over the interval, and its length. */
interface CpuUse {
  seconds: number;
  /** CPU-ms per process name over the interval. */
  ms: Record<string, number>;
}

async function withCpu<T>(
  work: () => Promise<T>,
  processes: () => Record<string, number[]> = fleetProcesses,
): Promise<{ result: T; cpu: CpuUse; cores: Record<string, number> }> {
  const before = new Map(
    Object.values(processes())
      .flat()
      .map((pid) => [pid, ticksOf([pid])]),
  );
  const started = performance.now();
  const result = await work();
  const seconds = (performance.now() - started) / 1000;
  // Processes born during the run (a pool's new PostgreSQL backends) count from zero.
  const ms = Object.fromEntries(
    Object.entries(processes()).map(([k, pids]) => [
      k,
      pids.reduce((sum, pid) => sum + ticksOf([pid]) - (before.get(pid) ?? 0), 0) * 10, // 100 ticks a second
    ]),
  );
  const cores = Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, v / 1000 / seconds]));
  return { result, cpu: { seconds, ms }, cores };
}

/** Fleet CPU-ms (every process but the load generator) per unit of work. */
function fleetMsPer(cpu: CpuUse, units: number): number {
  const total = Object.entries(cpu.ms)
    .filter(([k]) => k !== 'load generator')
    .reduce((sum, [, v]) => sum + v, 0);
  return total / Math.max(1, units);
}

const perUnit = (cpu: CpuUse, units: number) =>
  Object.fromEntries(Object.entries(cpu.ms).map(([k, v]) => [k, v / Math.max(1, units)]));

// ---- limits -------------------------------------------------------------------------------------

/** One small pool per database: the samplers query several times a second, and new connections cost the fleet CPU. */
const pools = new Map<string, pg.Pool>();
async function sql(database: string, text: string, values: unknown[] = []): Promise<pg.QueryResult> {
  let pool = pools.get(database);
  if (!pool) {
    pool = new pg.Pool({ connectionString: `${PG}/${database}`, max: 2 });
    pools.set(database, pool);
  }
  return pool.query(text, values);
}

/** Messages not yet acknowledged on the fleet's subscriptions to the tracking batches (from Pulsar's topic stats). */
async function trackingBacklog(): Promise<number> {
  const tenant = process.env.PULSAR_TENANT ?? 'beacon';
  let backlog = 0;
  for (const topic of ['command-batches', 'event-batches', 'command-batches-v2', 'event-batches-v2']) {
    const response = await fetch(`http://127.0.0.1:8080/admin/v2/persistent/${tenant}/tracking/${topic}/stats`, {
      headers: pulsarAuthHeaders(),
    });
    if (!response.ok) continue;
    const stats = (await response.json()) as { subscriptions?: Record<string, { msgBacklog?: number }> };
    for (const [name, sub] of Object.entries(stats.subscriptions ?? {}))
      if (name.endsWith('-service')) backlog += sub.msgBacklog ?? 0;
  }
  return backlog;
}

/**
 * Messages the broker took in and sent out on the fleet's business and tracking topics since it
 * started (Pulsar's `msgInCounter` and `msgOutCounter`): a pack counts as one message.
 */
async function brokerMessageCounts(): Promise<{ produced: number; delivered: number }> {
  const tenant = process.env.PULSAR_TENANT ?? 'beacon';
  const topics = [...new Set(Object.values(FLEET_ACCESS).flatMap((a) => a.produces))];
  let produced = 0;
  let delivered = 0;
  for (const topic of topics) {
    const response = await fetch(`http://127.0.0.1:8080/admin/v2/persistent/${tenant}/${topic}/stats`, {
      headers: pulsarAuthHeaders(),
    });
    if (!response.ok) continue;
    const stats = (await response.json()) as { msgInCounter?: number; msgOutCounter?: number };
    produced += stats.msgInCounter ?? 0;
    delivered += stats.msgOutCounter ?? 0;
  }
  return { produced, delivered };
}

const eventBody = (campaignId: string, n: number) => ({
  type: 'impression',
  campaignId,
  visitorId: `v-${n % 5000}`,
  properties: { page: '/p', n },
});

/** A sign-up by a new customer, credited to the campaign's member: it binds the customer and earns a lead commission. */
const leadBody = (campaignId: string, influencerId: string, n: number) => ({
  type: 'lead',
  campaignId,
  influencerId,
  visitorId: `v-${n % 5000}`,
  customerId: `cus-${n}`,
});
/** Of every LEAD_EVERY events in the mixed batch run, one is a lead. */
const LEAD_EVERY = 10;

/** The naive server's processes (tsx and the node it starts) and PostgreSQL's. */
function naiveProcesses(): Record<string, number[]> {
  return { naive: pids('bench/naive-server.ts'), postgres: pids('postgres:') };
}

async function naiveBaseline(): Promise<autocannon.Result> {
  await sql('postgres', 'SELECT 1');
  const exists = await sql('postgres', "SELECT 1 FROM pg_database WHERE datname = 'beacon_bench'");
  if (exists.rowCount === 0) await sql('postgres', 'CREATE DATABASE beacon_bench');
  const server: ChildProcess = spawn(
    join(root, 'node_modules/.bin/tsx'),
    [join(root, 'bench/naive-server.ts'), '18600', `${PG}/beacon_bench`],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve) => server.stdout?.once('data', () => resolve()));
  try {
    let n = 0;
    const warm = { url: 'http://127.0.0.1:18600/events', connections: CONNECTIONS, duration: 3 };
    await autocannon({
      ...warm,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(eventBody('c-0', 0)),
    });
    return await autocannon({
      url: 'http://127.0.0.1:18600/events',
      connections: CONNECTIONS,
      duration: SECONDS,
      requests: [
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          setupRequest: (req) => ({ ...req, body: JSON.stringify(eventBody('c-1', n++)) }),
        },
      ],
    });
  } finally {
    server.kill('SIGTERM');
  }
}

async function rawPostgres(): Promise<number> {
  await sql(
    'beacon_bench',
    `DROP TABLE IF EXISTS raw_events; CREATE TABLE raw_events (event_id text PRIMARY KEY, type text NOT NULL, campaign_id text NOT NULL,
    visitor_id text NOT NULL, occurred_at text NOT NULL, properties jsonb, valid boolean NOT NULL, reasons text[] NOT NULL);
    CREATE INDEX raw_by_campaign ON raw_events (campaign_id, occurred_at); CREATE INDEX raw_by_visitor ON ` +
      `raw_events (visitor_id, occurred_at)`,
  );
  const client = new pg.Client({ connectionString: `${PG}/beacon_bench` });
  await client.connect();
  let rowsWritten = 0;
  const deadline = performance.now() + Math.min(SECONDS, 10) * 1000;
  const started = performance.now();
  while (performance.now() < deadline) {
    const ids = Array.from({ length: 1000 }, () => randomUUID());
    await client.query(
      `INSERT INTO raw_events SELECT id, 'impression', 'c-' || (n % 50), 'v-' || (n % 5000), now()::text, '{"page":"/p"}', true, '{}'
      FROM unnest($1::text[]) WITH ORDINALITY AS t(id, n)`,
      [ids],
    );
    rowsWritten += ids.length;
  }
  const seconds = (performance.now() - started) / 1000;
  await client.end();
  return rowsWritten / seconds;
}

function pulsarPerf(extra: string[]): { rate: number; p99: number } {
  const out = execFileSync(
    join(PULSAR_HOME, 'bin/pulsar-perf'),
    [
      'produce',
      // The broker takes only authenticated clients: pulsar-perf comes in as the admin role.
      '--auth-plugin',
      'org.apache.pulsar.client.impl.auth.AuthenticationToken',
      '--auth-params',
      `file://${pulsarTokenFile('admin')}`,
      '-s',
      '1024',
      '-time',
      String(Math.min(SECONDS, 20)),
      ...extra,
      `persistent://${process.env.PULSAR_TENANT ?? 'beacon'}/test/perf-${randomUUID().slice(0, 8)}`,
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 },
  );
  const rate = Number(/Aggregated throughput stats --- \d+ records sent --- \s*([\d.]+) msg\/s/.exec(out)?.[1] ?? NaN);
  const p99 = Number(/Aggregated latency stats --- Latency: .*?99pct:\s*([\d.]+)/.exec(out)?.[1] ?? NaN);
  return { rate, p99 };
}

// ---- Beacon -------------------------------------------------------------------------------------

/**
 * Lag of each sample: how long until what had been accepted by then was persisted (seconds, at the
 * sampling's 250 ms resolution).
 */
function lagsOf(points: Array<{ t: number; accepted: number; persisted: number }>): number[] {
  const sorted = [...points].sort((a, b) => a.t - b.t);
  return sorted.flatMap((p, i) => {
    const caughtUp = sorted.slice(i).find((q) => q.persisted >= p.accepted);
    return caughtUp ? [caughtUp.t - p.t] : [];
  });
}

/** What the bench reads of a load run: merged over the BFF replicas it was spread across. */
interface Load {
  requests: { average: number; total: number };
  latency: { p99: number };
  '2xx': number;
}

/**
 * Load spread over every BFF replica, as a load balancer would: one autocannon per replica with its
 * share of the connections and of the rate. With more than one, p99 is the worst replica's.
 */
async function spread(
  options: autocannon.Options,
  urls: string[],
  onResponse?: (status: number) => void,
): Promise<Load> {
  const results = await Promise.all(
    urls.map(
      (base) =>
        new Promise<autocannon.Result>((resolve, reject) => {
          const url = new URL(String(options.url));
          const target = new URL(base);
          url.host = target.host;
          const share = (n: number | undefined) =>
            n === undefined ? undefined : Math.max(1, Math.round(n / urls.length));
          const instance = autocannon(
            {
              ...options,
              url: url.toString(),
              connections: share(options.connections),
              overallRate: share(options.overallRate),
            },
            (error, result) => (error ? reject(error) : resolve(result)),
          );
          if (onResponse) instance.on('response', (_client: unknown, status: number) => onResponse(status));
        }),
    ),
  );
  return {
    requests: {
      average: results.reduce((sum, r) => sum + r.requests.average, 0),
      total: results.reduce((sum, r) => sum + r.requests.total, 0),
    },
    latency: { p99: Math.max(...results.map((r) => r.latency.p99)) },
    '2xx': results.reduce((sum, r) => sum + r['2xx'], 0),
  };
}

/** Runs load against the BFF while sampling accepted and persisted counts every 250 ms; waits for the backlog to drain. */
async function ingest(
  name: string,
  options: autocannon.Options,
  eventsPerRequest: number,
  persistedNow: () => Promise<number>,
) {
  const base = await persistedNow();
  let accepted = 0;
  const points: Array<{ t: number; accepted: number; persisted: number }> = [];
  const started = performance.now();
  const sampler = setInterval(() => {
    const t = (performance.now() - started) / 1000;
    const acceptedThen = accepted;
    void persistedNow().then((p) => points.push({ t, accepted: acceptedThen, persisted: p - base }));
  }, 250);
  const result = await spread(options, BFF_URLS, (status) => {
    if (status === 202) accepted += eventsPerRequest;
  });
  const loadSeconds = (performance.now() - started) / 1000;
  const drainDeadline = performance.now() + 180_000;
  let persisted = (await persistedNow()) - base;
  while (persisted < accepted && performance.now() < drainDeadline) {
    await new Promise((r) => setTimeout(r, 500));
    persisted = (await persistedNow()) - base;
  }
  clearInterval(sampler);
  const totalSeconds = (performance.now() - started) / 1000;
  points.push({ t: totalSeconds, accepted, persisted });
  series.push({ name, points });
  return {
    result,
    accepted,
    persisted,
    loadSeconds,
    totalSeconds,
    drainSeconds: totalSeconds - loadSeconds,
    lagP99: percentile(lagsOf(points), 99),
  };
}

/** The limits Beacon's figures are judged against, measured before the fleet starts. */
const limits = {} as {
  naive: autocannon.Result;
  naiveCpuMsPerRequest: number;
  rawPg: number;
  perfPlain: { rate: number; p99: number };
  perfBatched: { rate: number; p99: number };
  driverSmall: Awaited<ReturnType<typeof measureWebSocketDriver>>;
  driverLarge: Awaited<ReturnType<typeof measureWebSocketDriver>>;
};

async function measureLimits(): Promise<void> {
  say('limit: naive baseline (express + one INSERT per request)…');
  const naive = await withCpu(naiveBaseline, naiveProcesses);
  limits.naive = naive.result;
  limits.naiveCpuMsPerRequest = fleetMsPer(naive.cpu, naive.result['2xx']);
  say(
    `  ${limits.naive.requests.average.toFixed(0)} req/s, p99 ${limits.naive.latency.p99} ms; ` +
      `CPU ${limits.naiveCpuMsPerRequest.toFixed(2)} ms per request (${Object.entries(
        perUnit(naive.cpu, naive.result['2xx']),
      )
        .map(([k, v]) => `${k} ${v.toFixed(2)}`)
        .join(', ')})`,
  );
  say('limit: raw PostgreSQL (1,000-row INSERT … unnest)…');
  limits.rawPg = await rawPostgres();
  say(`  ${limits.rawPg.toFixed(0)} rows/s`);
  say('limit: raw Pulsar (pulsar-perf, 1 KB, no batching / batching capped at 20k)…');
  limits.perfPlain = pulsarPerf(['-db', '-r', '1000000']);
  limits.perfBatched = pulsarPerf(['-r', '20000']);
  say(
    `  ${limits.perfPlain.rate.toFixed(0)} msg/s p99 ${limits.perfPlain.p99} ms; ` +
      `batched ${limits.perfBatched.rate.toFixed(0)} msg/s p99 ${limits.perfBatched.p99} ms`,
  );
  say('limit: websocket driver (400 B and 32 KB)…');
  limits.driverSmall = await measureWebSocketDriver({ messages: 5000, size: 400, window: 100 });
  limits.driverLarge = await measureWebSocketDriver({ messages: 1000, size: 32 * 1024, window: 100 });
  say(
    `  400 B ${limits.driverSmall.endToEndPerSecond.toFixed(0)} msg/s; 32 KB ${limits.driverLarge.endToEndPerSecond.toFixed(0)} msg/s`,
  );
}

const BENCH_RULES = [
  { event: 'conversion', type: 'fixed', amount: { amount: '1.00', currency: 'USD' } },
  { event: 'lead', type: 'fixed', amount: { amount: '0.10', currency: 'USD' } },
];

async function main(): Promise<void> {
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  say(`fleet benchmark — ${SECONDS} s per measurement, ${CONNECTIONS} connections, commit ${commit}`);

  if (!ONLY) await measureLimits();
  // The image runs esbuild bundles, so the bench measures those (`--tsx`: the sources through tsx, as `npm run fleet` does).
  const built = process.argv.includes('--tsx') ? undefined : join(root, 'dist');
  if (built) execFileSync(join(root, 'node_modules/.bin/tsx'), [join(root, 'scripts/build.ts')], { stdio: 'ignore' });
  say(
    `starting the fleet (${built ? 'bundles' : 'tsx'}, ${REPLICAS} replica${REPLICAS > 1 ? 's' : ''} of every service)…`,
  );
  const fleet = await startFleet({ bffPort: 18500, opsPortBase: 19500, quiet: true, built, replicas: REPLICAS });
  BFF_URLS = fleet.baseUrls;
  try {
    const run = randomUUID().slice(0, 6);
    const brandId = `bench-brand-${run}`;
    const brand = await Client.as(fleet.baseUrl, brandId, 'brand');
    const memberId = `bench-lead-inf-${run}`;
    const member = await Client.as(fleet.baseUrl, memberId, 'influencer');
    const campaigns: string[] = [];
    for (let i = 0; i < 50; i++) {
      const id = (
        await brand.command('/api/v1/campaigns', {
          name: `Bench ${i}`,
          landingUrl: 'https://bench.example',
          budget: { amount: '1000000.00', currency: 'USD' },
          commissionRules: BENCH_RULES,
        })
      ).id;
      await member.command(`/api/v1/campaigns/${id}/accept`, { acceptedTerms: true });
      campaigns.push(id);
    }
    // Persisted end to end: stored by tracking, then in the BFF's read model and its stats (one transaction there).
    const persistedEndToEnd = async () =>
      Number(
        (
          await sql(
            'beacon_bff',
            'SELECT coalesce(sum(impressions + leads), 0) AS n FROM rm_stats WHERE campaign_id = ANY($1)',
            [campaigns],
          )
        ).rows[0].n,
      );
    const headers = {
      'content-type': 'application/json',
      authorization: `Bearer ${await mintDevToken({ sub: brandId, roles: ['brand'] })}`,
    };
    let n = 0;

    const nextEvent = () => eventBody(defined(campaigns[n % 50], 'a campaign'), n++);
    /** Every lead stored in the BFF's stats has a settled commission in its read model. */
    const leadsSettled = async () => {
      const { rows } = await sql(
        'beacon_bff',
        `SELECT (SELECT coalesce(sum(leads), 0) FROM rm_stats WHERE campaign_id = ANY($1)) AS leads,
           (SELECT count(*) FROM rm_commissions WHERE campaign_id = ANY($1) AND status <> 'pending') AS settled`,
        [campaigns],
      );
      return Number(rows[0].settled) >= Number(rows[0].leads);
    };
    const nextMixed = () =>
      n % LEAD_EVERY === 0
        ? leadBody(defined(campaigns[n % 50], 'a campaign'), memberId, n++)
        : eventBody(defined(campaigns[n % 50], 'a campaign'), n++);
    // autocannon asks for each request's body as it sends it: every request carries new events.
    const posting = (
      path: string,
      connections: number,
      body: () => unknown,
      duration = SECONDS,
    ): autocannon.Options => ({
      url: `${fleet.baseUrl}${path}`,
      connections,
      duration,
      requests: [{ method: 'POST', headers, setupRequest: (req) => ({ ...req, body: JSON.stringify(body()) }) }],
    });
    // Warm-up, not measured: the JIT of every process (the broker's above all), pools, sockets.
    say(`warming the fleet up (${WARMUP} s of single events and batches, then until every event is persisted)…`);
    await spread(posting('/api/v1/tracking/events', CONNECTIONS, nextEvent, WARMUP), BFF_URLS);
    await spread(
      posting('/api/v1/tracking/events:batch', 4, () => ({ events: Array.from({ length: 500 }, nextEvent) }), WARMUP),
      BFF_URLS,
    );
    const warmDeadline = performance.now() + 300_000;
    while ((await trackingBacklog()) > 0 && performance.now() < warmDeadline)
      await new Promise((r) => setTimeout(r, 1000));

    const measureIngest = async () => {
      say('Beacon: single-event POST /tracking/events…');
      const single = await withCpu(() =>
        ingest('single-event ingest', posting('/api/v1/tracking/events', CONNECTIONS, nextEvent), 1, persistedEndToEnd),
      );
      say(
        `  ${single.result.result.requests.average.toFixed(0)} req/s, p99 ${single.result.result.latency.p99} ` +
          `ms; persisted ${single.result.persisted}/${single.result.accepted} ` +
          `in ${single.result.totalSeconds.toFixed(1)} s, lag p99 ${single.result.lagP99.toFixed(2)} s; fleet ` +
          `CPU ${fleetMsPer(single.cpu, single.result.persisted).toFixed(2)} ms per event`,
      );

      say('Beacon: batch ingest, 500 events per request…');
      const batchBody = () => ({ events: Array.from({ length: 500 }, nextEvent) });
      const batch = await withCpu(() =>
        ingest('batch ingest', posting('/api/v1/tracking/events:batch', 4, batchBody), 500, persistedEndToEnd),
      );
      const batchPersistedRate = batch.result.persisted / batch.result.totalSeconds;
      say(
        `  accepted ${batch.result.accepted}, persisted ${batch.result.persisted} ` +
          `in ${batch.result.totalSeconds.toFixed(1)} s → ${batchPersistedRate.toFixed(0)} events/s, lag ` +
          `p99 ${batch.result.lagP99.toFixed(2)} s; fleet CPU ${fleetMsPer(batch.cpu, batch.result.persisted).toFixed(3)} ms per event`,
      );
      say(`Beacon: batch ingest with leads (1 in ${LEAD_EVERY}: a new customer and a lead commission each)…`);
      const mixedBody = () => ({ events: Array.from({ length: 500 }, nextMixed) });
      // Measured until every lead's commission has settled too (approved, the budget reserved, the ledger credited).
      const mixed = await withCpu(async () => {
        const result = await ingest(
          'batch ingest with leads',
          posting('/api/v1/tracking/events:batch', 4, mixedBody),
          500,
          persistedEndToEnd,
        );
        const deadline = performance.now() + 180_000;
        while (!(await leadsSettled()) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 500));
        return result;
      });
      say(
        `  accepted ${mixed.result.accepted}, persisted ${mixed.result.persisted} in ` +
          `${mixed.result.totalSeconds.toFixed(1)} s → ${(mixed.result.persisted / mixed.result.totalSeconds).toFixed(0)} ` +
          `events/s; fleet CPU ${fleetMsPer(mixed.cpu, mixed.result.persisted).toFixed(3)} ms per event`,
      );
      for (const [label, run] of [
        ['impressions only', batch],
        ['with leads', mixed],
      ] as const)
        say(
          `  ${label}, CPU-ms per event by process: ${Object.entries(perUnit(run.cpu, run.result.persisted))
            .map(([k, v]) => `${k} ${v.toFixed(3)}`)
            .join(', ')}`,
        );
      return { single, batch, batchPersistedRate, mixed };
    };
    const ingested = !ONLY || ONLY === 'ingest' ? await measureIngest() : undefined;
    if (ONLY === 'ingest') return;
    if (ONLY === 'history') {
      // Alone: a little history of its own first (batches with leads), settled.
      await spread(
        posting('/api/v1/tracking/events:batch', 4, () => ({ events: Array.from({ length: 500 }, nextMixed) }), 10),
        BFF_URLS,
      );
      const deadline = performance.now() + 180_000;
      while (!(await leadsSettled()) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 500));
    }
    const history: HistoryFigures | undefined =
      !ONLY || ONLY === 'history'
        ? await measureHistory({
            bffDatabaseUrl: serviceDatabaseUrl('bff'),
            trackingDatabaseUrl: serviceDatabaseUrl('tracking'),
            brand,
            campaignId: defined(campaigns[0], 'a campaign'),
            commissionRules: BENCH_RULES,
            say,
          })
        : undefined;
    if (ONLY === 'history') return;

    const hooks =
      !ONLY || ONLY === 'webhooks'
        ? await withCpu(async () => {
            say('Beacon: webhooks, 50 conversions/s, each to 10 endpoints of a local receiver…');
            return measureWebhooks(brand, defined(campaigns[1], 'a campaign'), {
              rate: 50,
              seconds: SECONDS,
              endpoints: 10,
            });
          })
        : undefined;
    if (hooks) {
      const h = hooks.result;
      say(
        `  ${h.delivered}/${h.sent} delivered (${h.requests} requests), ${h.deliveriesPerSecond.toFixed(0)}/s; ` +
          `202 → delivery p50 ${h.p50Ms.toFixed(0)} ms, p99 ${h.p99Ms.toFixed(0)} ms; the receiver straight from ` +
          `here: ${h.directPerSecond.toFixed(0)}/s; webhook service CPU ` +
          `${((hooks.cpu.ms.webhook ?? 0) / Math.max(1, h.delivered)).toFixed(2)} ms per delivery`,
      );
    }
    if (ONLY === 'webhooks') return;

    // Conversions are measured on a fleet that has caught up: commission may still be working through the batch run.
    const drainStarted = performance.now();
    while ((await trackingBacklog()) > 0 && performance.now() - drainStarted < 600_000)
      await new Promise((r) => setTimeout(r, 1000));
    const caughtUpSeconds = (performance.now() - drainStarted) / 1000;
    say(`  every consumer caught up ${caughtUpSeconds.toFixed(1)} s after the batch run's events were in the BFF`);

    // Hot key: one influencer on one campaign, at a fixed rate; alone, then beside 2,000 impressions/s.
    const influencerId = `bench-inf-${run}`;
    const influencer = await Client.as(fleet.baseUrl, influencerId, 'influencer');
    const convCampaign = defined(campaigns[0], 'a campaign');
    await influencer.command(`/api/v1/campaigns/${convCampaign}/accept`, { acceptedTerms: true });
    const convSeconds = Math.min(SECONDS, 30);
    const hotKey = async (label: string, convSub: string, withImpressions: boolean) => {
      say(`Beacon: conversions at 200/s for one influencer on one campaign, ${label}…`);
      const convHeaders = {
        'content-type': 'application/json',
        authorization: `Bearer ${await mintDevToken({ sub: convSub, roles: ['ingest'], brand: brandId })}`,
      };
      const conversions = spread(
        {
          url: `${fleet.baseUrl}/api/v1/tracking/events`,
          connections: 20,
          duration: convSeconds,
          overallRate: 200,
          requests: [
            {
              method: 'POST',
              headers: convHeaders,
              setupRequest: (req) => ({
                ...req,
                body: JSON.stringify({
                  type: 'conversion',
                  campaignId: convCampaign,
                  influencerId,
                  visitorId: `b-${n}`,
                  value: { amount: '10.00', currency: 'USD' },
                  // As a shop sends them: the buyer's address (1,000 of them) and browser, so that tracking's
                  // review signals (SHARED_IP's lookup among them) run as they would.
                  ip: `203.0.${(n >> 8) % 4}.${n % 250}`,
                  userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/140.0 Safari/537.36',
                  orderId: `o-${run}-${n++}`,
                }),
              }),
            },
          ],
        },
        BFF_URLS,
      );
      const impressions = withImpressions
        ? spread(
            {
              url: `${fleet.baseUrl}/api/v1/tracking/events`,
              connections: CONNECTIONS,
              duration: convSeconds,
              overallRate: 2000,
              requests: [
                {
                  method: 'POST',
                  headers,
                  setupRequest: (req) => ({
                    ...req,
                    body: JSON.stringify(eventBody(defined(campaigns[1 + (n % 49)], 'a campaign'), n++)),
                  }),
                },
              ],
            },
            BFF_URLS,
          )
        : undefined;
      // From the operation's claim (the lingered batch that carried the conversion) to the approval reaching the BFF.
      // An operation belongs to its caller's principal: roles and sub (services/bff/src/http/jwt.ts principalOf).
      const latencyQuery = `SELECT extract(epoch FROM (a.seen_at - o.created_at)) * 1000 AS ms FROM operations o
        JOIN operation_steps a ON a.correlation_id = o.correlation_id AND a.type = 'commission.CommissionApproved'
        WHERE o.started_by = $1`;
      const approvalsNow = async () =>
        (await sql('beacon_bff', latencyQuery, [`ingest:${convSub}`])).rows.map((r) => Number(r.ms));
      // CPU counts until every accepted conversion is approved: the work the load caused, not just its first part.
      const countsBefore = await brokerMessageCounts();
      const measured = await withCpu(async () => {
        const [convResult, impResult] = await Promise.all([conversions, impressions]);
        const deadline = performance.now() + 180_000;
        let approvals = await approvalsNow();
        while (approvals.length < convResult['2xx'] && performance.now() < deadline) {
          await new Promise((r) => setTimeout(r, 250));
          approvals = await approvalsNow();
        }
        return { convResult, impResult, approvals };
      });
      const { convResult, impResult, approvals } = measured.result;
      const countsAfter = await brokerMessageCounts();
      const accepted = convResult['2xx'];
      const messagesPer = (n: number) => n / Math.max(1, accepted + (impResult?.['2xx'] ?? 0));
      const producedPer = messagesPer(countsAfter.produced - countsBefore.produced);
      const deliveredPer = messagesPer(countsAfter.delivered - countsBefore.delivered);
      const impressionsAccepted = impResult?.['2xx'] ?? 0;
      const p50 = percentile(approvals, 50);
      const p99 = percentile(approvals, 99);
      const perConversion = fleetMsPer(measured.cpu, accepted);
      const perEvent = fleetMsPer(measured.cpu, accepted + impressionsAccepted);
      say(
        `  ${accepted}/${convResult.requests.total} conversions accepted (${(accepted / convSeconds).toFixed(0)}/s)` +
          (impResult
            ? `, ${impressionsAccepted} impressions (${(impressionsAccepted / convSeconds).toFixed(0)}/s)`
            : '') +
          `; approved ${approvals.length}; p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms; ` +
          `fleet CPU ${perConversion.toFixed(2)} ms per conversion` +
          (impResult ? `, ${perEvent.toFixed(2)} ms per event` : ''),
      );
      say(
        `  CPU-ms per conversion by process: ${Object.entries(perUnit(measured.cpu, accepted))
          .map(([k, v]) => `${k} ${v.toFixed(2)}`)
          .join(', ')}`,
      );
      say(
        `  broker messages per ${impResult ? 'event' : 'conversion'}: ${producedPer.toFixed(2)} ` +
          `produced, ${deliveredPer.toFixed(2)} delivered`,
      );
      return {
        label,
        producedPer,
        deliveredPer,
        accepted,
        approved: approvals.length,
        impressionsAccepted,
        p50,
        p99,
        perConversion,
        perEvent,
        cpu: measured.cpu,
      };
    };
    const hotAlone = await hotKey('alone', `bench-conv-${run}`, false);
    const hotBeside = await hotKey('beside 2,000 impressions/s', `bench-conv2-${run}`, true);
    if (ONLY === 'conversions') return;

    if (!ingested) return;
    const { single, batch, batchPersistedRate, mixed } = ingested;
    const mixedCpu = fleetMsPer(mixed.cpu, mixed.result.persisted);
    const batchCpu = fleetMsPer(batch.cpu, batch.result.persisted);
    const singleRps = single.result.result.requests.average;
    const singlePersisted = single.result.persisted / single.result.totalSeconds;
    rows.push(
      {
        measurement: 'naive baseline: express + one INSERT per request',
        value: `${limits.naive.requests.average.toFixed(0)} req/s, p99 ${limits.naive.latency.p99} ms`,
      },
      { measurement: 'raw PostgreSQL: 1,000-row INSERT … unnest', value: `${limits.rawPg.toFixed(0)} rows/s` },
      {
        measurement: 'raw Pulsar: pulsar-perf 1 KB, no batching',
        value: `${limits.perfPlain.rate.toFixed(0)} msg/s, p99 ${limits.perfPlain.p99} ms`,
      },
      {
        measurement: 'raw Pulsar: pulsar-perf 1 KB, batching, capped at 20k',
        value: `${limits.perfBatched.rate.toFixed(0)} msg/s, p99 ${limits.perfBatched.p99} ms`,
      },
      {
        measurement: 'websocket driver, 400 B, end to end',
        value: `${limits.driverSmall.endToEndPerSecond.toFixed(0)} msg/s, p99 ${limits.driverSmall.p99Ms.toFixed(0)} ms`,
      },
      {
        measurement: 'websocket driver, 32 KB, end to end',
        value:
          `${limits.driverLarge.endToEndPerSecond.toFixed(0)} msg/s ` +
          `(${((limits.driverLarge.endToEndPerSecond * 32) / 1024).toFixed(1)} MB/s)`,
      },
      {
        measurement: 'Beacon single-event POST /tracking/events (accepted)',
        value: `${singleRps.toFixed(0)} req/s, p99 ${single.result.result.latency.p99} ms`,
        limit: 'naive baseline req/s',
        ratio: singleRps / limits.naive.requests.average,
        target: '≥ 1.0×, p99 < 50 ms',
      },
      {
        measurement: 'Beacon single-event, persisted end to end (tracking, BFF read model and stats)',
        value:
          `${singlePersisted.toFixed(0)} events/s, lag p99 ${single.result.lagP99.toFixed(2)} s ` +
          `(drained ${single.result.drainSeconds.toFixed(1)} s after the load)`,
        limit: 'naive baseline req/s',
        ratio: singlePersisted / limits.naive.requests.average,
        target: 'same rate, flat lag',
      },
      {
        measurement: 'Beacon batch ingest (500/request), persisted end to end',
        value:
          `${batchPersistedRate.toFixed(0)} events/s, lag p99 ${batch.result.lagP99.toFixed(2)} s ` +
          `(accepted ${(batch.result.accepted / batch.result.loadSeconds).toFixed(0)}/s)`,
        limit: 'raw PostgreSQL rows/s',
        ratio: batchPersistedRate / limits.rawPg,
        target: '≥ 20,000 events/s, lag p99 < 2 s',
      },
      {
        measurement: `Beacon batch ingest with 1 lead in ${LEAD_EVERY} (each a new customer and a lead commission), persisted end to end`,
        value:
          `${(mixed.result.persisted / mixed.result.totalSeconds).toFixed(0)} events/s, lag p99 ` +
          `${mixed.result.lagP99.toFixed(2)} s (every lead commission settled in the measured time)`,
        limit: 'impressions-only batch events/s (this run)',
        ratio: mixed.result.persisted / mixed.result.totalSeconds / batchPersistedRate,
      },
      ...[hotAlone, hotBeside].map((h) => ({
        measurement: `Beacon conversion → CommissionApproved (BFF), 200/s for one influencer on one campaign, ${h.label}`,
        value:
          `p50 ${h.p50.toFixed(0)} ms, p99 ${h.p99.toFixed(0)} ms (${h.approved} approved of ${h.accepted} ` +
          `accepted, ${(h.accepted / convSeconds).toFixed(0)}/s)`,
        limit: '100 ms target',
        ratio: h.p99 / 100,
        target: 'p99 < 100 ms',
      })),
    );
    if (history)
      rows.push(
        {
          measurement: 'Beacon rebuild of the BFF read model from the topics (npm run rebuild -- bff)',
          value:
            `${(history.rebuild.messages / history.rebuild.seconds).toFixed(0)} messages/s, ` +
            `${(history.rebuild.trackingEvents / history.rebuild.seconds).toFixed(0)} tracking events/s ` +
            `(${history.rebuild.messages} messages, ${history.rebuild.seconds.toFixed(1)} s; swap ${history.rebuild.swapMs} ms)`,
          limit: 'raw PostgreSQL rows/s',
          ratio: history.rebuild.trackingEvents / history.rebuild.seconds / limits.rawPg,
        },
        {
          measurement: 'Beacon backtest of one campaign’s current terms (POST /simulations, to completed)',
          value:
            `${(history.backtest.scanned / history.backtest.seconds).toFixed(0)} retained tracking events scanned/s ` +
            `(${history.backtest.scanned} scanned for the campaign's ${history.backtest.messages}, ${history.backtest.events} ` +
            `decided again, ${history.backtest.seconds.toFixed(1)} s); proposed ${history.backtest.equal ? '=' : '≠'} actual`,
          limit: 'rebuild tracking events/s (this run)',
          ratio:
            history.backtest.scanned /
            history.backtest.seconds /
            (history.rebuild.trackingEvents / history.rebuild.seconds),
          target: 'proposed = actual',
        },
        {
          measurement: 'retained history on disk (every HISTORY_NAMESPACES namespace)',
          value:
            `${(((history.disk.storageBytes / Math.max(1, history.disk.events)) * 1e6) / 2 ** 20).toFixed(0)} MiB of ledgers ` +
            `per million tracking events (${history.disk.events} events; BookKeeper's directory ` +
            `${(((history.disk.diskBytes / Math.max(1, history.disk.events)) * 1e6) / 2 ** 20).toFixed(0)} MiB per million)`,
        },
      );
    const naiveCpu = limits.naiveCpuMsPerRequest;
    rows.push(
      {
        measurement: 'naive baseline, CPU per request (its node + PostgreSQL)',
        value: `${naiveCpu.toFixed(2)} ms`,
      },
      {
        measurement: 'Beacon single-event ingest, fleet CPU per persisted event',
        value: `${fleetMsPer(single.cpu, single.result.persisted).toFixed(2)} ms`,
        limit: 'naive CPU per request',
        ratio: fleetMsPer(single.cpu, single.result.persisted) / naiveCpu,
        target: '≤ 1.0×',
      },
      {
        measurement: 'Beacon batch ingest, fleet CPU per persisted event',
        value: `${batchCpu.toFixed(3)} ms`,
        limit: 'naive CPU per request',
        ratio: batchCpu / naiveCpu,
        target: '≤ 0.10 ms',
      },
      {
        measurement: `Beacon batch ingest with 1 lead in ${LEAD_EVERY}, fleet CPU per persisted event`,
        value: `${mixedCpu.toFixed(3)} ms`,
        limit: 'impressions-only batch CPU per event (this run)',
        ratio: mixedCpu / batchCpu,
      },
      {
        measurement: 'Beacon conversions alone (200/s, one influencer, one campaign), fleet CPU per conversion',
        value: `${hotAlone.perConversion.toFixed(2)} ms`,
        limit: 'naive CPU per request',
        ratio: hotAlone.perConversion / naiveCpu,
        target: '≤ 3 ms',
      },
      {
        measurement: 'Beacon conversions beside 2,000 impressions/s, fleet CPU per event (both kinds)',
        value: `${hotBeside.perEvent.toFixed(2)} ms (${hotBeside.perConversion.toFixed(2)} ms per conversion, impressions included)`,
        limit: 'naive CPU per request',
        ratio: hotBeside.perEvent / naiveCpu,
      },
      {
        measurement: 'broker messages per conversion (conversions alone; produced + delivered, a pack is one)',
        value:
          `${(hotAlone.producedPer + hotAlone.deliveredPer).toFixed(2)} ` +
          `(${hotAlone.producedPer.toFixed(2)} produced, ${hotAlone.deliveredPer.toFixed(2)} delivered)`,
        limit: 'one message per fact: 6 produced + 15 delivered',
        ratio: (hotAlone.producedPer + hotAlone.deliveredPer) / 21,
      },
    );
    if (hooks) {
      const h = hooks.result;
      rows.push(
        {
          measurement: 'Beacon webhooks: 50 conversions/s, each to 10 endpoints (conversion.recorded), delivered',
          value: `${h.deliveriesPerSecond.toFixed(0)} deliveries/s (${h.delivered}/${h.sent}, ${h.requests} requests)`,
          limit: 'the receiver straight from the bench, 32 in flight',
          ratio: h.deliveriesPerSecond / h.directPerSecond,
        },
        {
          measurement: 'Beacon webhooks: conversion 202 → its delivery at the receiver',
          value: `p50 ${h.p50Ms.toFixed(0)} ms, p99 ${h.p99Ms.toFixed(0)} ms`,
          limit: '1 s target',
          ratio: h.p99Ms / 1000,
          target: 'p99 < 1 s',
        },
        {
          measurement: 'Beacon webhooks: webhook service CPU per delivery',
          value: `${((hooks.cpu.ms.webhook ?? 0) / Math.max(1, h.delivered)).toFixed(2)} ms`,
        },
      );
    }
    rows.push({
      measurement: 'every consumer (commission included) caught up after the batch run',
      value: `${caughtUpSeconds.toFixed(1)} s after the BFF had every event`,
    });
    writeResults(commit, {
      'single-event ingest (per event)': perUnit(single.cpu, single.result.persisted),
      'batch ingest (per event)': perUnit(batch.cpu, batch.result.persisted),
      'batch ingest with leads (per event)': perUnit(mixed.cpu, mixed.result.persisted),
      'conversions alone (per conversion)': perUnit(hotAlone.cpu, hotAlone.accepted),
      'conversions + impressions (per event)': perUnit(
        hotBeside.cpu,
        hotBeside.accepted + hotBeside.impressionsAccepted,
      ),
    });
  } finally {
    await fleet.stop();
    await Promise.all([...pools.values()].map((p) => p.end()));
  }
}

/** `cpu`: CPU-ms per unit of work, per process, for each run. */
function writeResults(commit: string, cpu: Record<string, Record<string, number>>): void {
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`;
  const table = [
    '| measurement | value | judged against | ratio | target |',
    '|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.measurement} | ${r.value} | ${r.limit ?? '(limit)'} ` +
        `| ${r.ratio === undefined ? '' : `${r.ratio.toFixed(3)}×`} | ${r.target ?? ''} |`,
    ),
  ];
  const processes = Object.keys(Object.values(cpu)[0] ?? {});
  const cpuTable = [
    `| run | ${processes.join(' | ')} | fleet (all but the load generator) |`,
    `|---|${processes.map(() => '---').join('|')}|---|`,
    ...Object.entries(cpu).map(([run, ms]) => {
      const fleet = processes.filter((p) => p !== 'load generator').reduce((sum, p) => sum + (ms[p] ?? 0), 0);
      return `| ${run} | ${processes.map((p) => (ms[p] ?? 0).toFixed(3)).join(' | ')} | ${fleet.toFixed(3)} |`;
    }),
  ];
  console.log(`\n${table.join('\n')}\n\nCPU-ms per unit of work, per process:\n${cpuTable.join('\n')}`);
  // The sections after the first run's (A/B comparisons, written by hand) are kept.
  // A run on two replicas has a file of its own; RESULTS.md sets the two side by side.
  const resultsFile = join(root, REPLICAS > 1 ? `bench/RESULTS-${REPLICAS}-replicas.md` : 'bench/RESULTS.md');
  const earlier = existsSync(resultsFile) ? readFileSync(resultsFile, 'utf8') : '';
  const kept = earlier.includes('\n## ') ? earlier.slice(earlier.indexOf('\n## ')) : '';
  const text =
    `# Fleet benchmark results

Date: ${new Date().toISOString()} · commit \`${commit}\` · machine: ${machine} · ${SECONDS} s per ` +
    `measurement, ${CONNECTIONS} connections, ${WARMUP} s of warm-up per kind first.
Produced by \`pnpm bench:fleet -- ` +
    `--seconds ${SECONDS}${REPLICAS > 1 ? ` --replicas ${REPLICAS}` : ''}\`, ${REPLICAS} ` +
    `replica${REPLICAS > 1 ? 's' : ''} of every service. Every limit was measured in this same run. CPU is read from \`/proc/<pid>/stat\`
(user + system) for every process of the fleet, the broker and PostgreSQL, over each measurement including its drain.

${table.join('\n')}

CPU-ms per unit of work, per process (each run from its start until everything it caused was persisted):

${cpuTable.join('\n')}

![throughput and persisted events over time](throughput.svg)
${kept}`;
  writeFileSync(resultsFile, text);
  if (REPLICAS === 1) writeFileSync(join(root, 'bench/throughput.svg'), chart());
  console.log(`\nwrote ${resultsFile}${REPLICAS === 1 ? ' and bench/throughput.svg' : ''}`);
}

/** Cumulative accepted and persisted events per second of each ingest run: the gap between the lines is the lag. */
function chart(): string {
  const width = 760;
  const height = 240;
  const pad = 40;
  const panels = series.map((s, i) => {
    const maxT = Math.max(1, ...s.points.map((p) => p.t));
    const maxY = Math.max(1, ...s.points.map((p) => Math.max(p.accepted, p.persisted)));
    const x = (t: number) => pad + (t / maxT) * (width - 2 * pad);
    const y = (v: number) => height - pad - (v / maxY) * (height - 2 * pad);
    const line = (key: 'accepted' | 'persisted', color: string) =>
      `<polyline fill="none" stroke="${color}" stroke-width="2" ` +
      `points="${s.points.map((p) => `${x(p.t).toFixed(1)},${y(p[key]).toFixed(1)}`).join(' ')}"/>`;
    const title = `${s.name}: events accepted (blue) and persisted (orange), cumulative; max ${maxY} at ${maxT.toFixed(0)} s`;
    const axes =
      `<line x1="${pad}" y1="${height - pad}" x2="${width - pad}" y2="${height - pad}" stroke="#999"/>` +
      `<line x1="${pad}" y1="${pad}" x2="${pad}" y2="${height - pad}" stroke="#999"/>`;
    return `<g transform="translate(0 ${i * height})"><text x="${pad}" y="20" font-size="14">${title}</text>
${axes}
${line('accepted', '#2b6cb0')}${line('persisted', '#dd6b20')}</g>`;
  });
  const size = `width="${width}" height="${height * Math.max(1, series.length)}"`;
  return `<svg xmlns="http://www.w3.org/2000/svg" ${size} font-family="sans-serif">${panels.join('\n')}</svg>\n`;
}

await main();
process.exit(0);
