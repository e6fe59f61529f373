/**
 * One backtest's two halves, timed in this process: reading a campaign's retained history (the
 * readers, as the BFF's worker reads it), then running the engine over it with the campaign's current
 * terms, a few times. Prints both, the engine's share beside the read (its limit here: the engine
 * should cost little next to reading), the longest the event loop was held (the BFF serves requests
 * from the same loop), and whether the current terms gave back what was paid.
 *
 *   pnpm bench:backtest [campaignId]   (default: the newest campaign named "History", which the
 *                                       history e2e test makes; run it first on this broker)
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pg from 'pg';
import { TEST_PG_URL } from '@beacon/testing';
import { rulesOfCampaign, simulation, type HistoryMessage } from '../services/bff/src/simulations/engine.js';
import { campaignHistoryAsBff } from '../scripts/lib/history-as-bff.js';

const RUNS = 3;

/** A column as comparable text: maps as entries sorted by key, amounts as decimal strings. */
const canonical = (column: object): string =>
  JSON.stringify(column, (_key, v: unknown) =>
    typeof v === 'bigint'
      ? String(v)
      : v instanceof Map
        ? [...v].sort(([a], [b]) => String(a).localeCompare(String(b)))
        : v,
  );

async function newestHistoryCampaign(): Promise<string> {
  const db = new pg.Client({ connectionString: `${TEST_PG_URL}/beacon_bff` });
  await db.connect();
  try {
    const { rows } = await db.query<{ id: string }>(
      `SELECT id FROM rm_campaigns WHERE name = 'History' ORDER BY created_at DESC LIMIT 1`,
    );
    if (!rows[0]) throw new Error('no campaign named History: run test/e2e/history.e2e.spec.ts first');
    return rows[0].id;
  } finally {
    await db.end();
  }
}

const campaignId = process.argv[2] ?? (await newestHistoryCampaign());
const lag = monitorEventLoopDelay({ resolution: 10 });
lag.enable();
let started = performance.now();
const history = await campaignHistoryAsBff(campaignId);
const readMs = performance.now() - started;
const readLagMs = lag.max / 1e6;
const created = history.find((m) => m.type === 'campaign.CampaignCreated') as
  Extract<HistoryMessage, { type: 'campaign.CampaignCreated' }> | undefined;
if (!created) throw new Error('no CampaignCreated in the history');
const engineMs: number[] = [];
let equal = true;
lag.reset();
for (let run = 0; run < RUNS; run++) {
  started = performance.now();
  const steps = simulation(history, {
    campaignId,
    proposed: { rules: rulesOfCampaign(created.data) },
    from: '1970-01-01T00:00:00.000Z',
    to: new Date().toISOString(),
  });
  // As the worker runs it: a turn for the event loop at every yield.
  let next = steps.next();
  while (!next.done) {
    await new Promise((resolve) => setImmediate(resolve));
    next = steps.next();
  }
  engineMs.push(performance.now() - started);
  const { proposed, actual } = next.value;
  equal &&= canonical(proposed) === canonical(actual);
}
const median = [...engineMs].sort((a, b) => a - b)[Math.floor(RUNS / 2)] as number;
console.log(`campaign ${campaignId}: ${history.length} of its messages`);
console.log(`read the history: ${readMs.toFixed(0)} ms (event loop held at most ${readLagMs.toFixed(0)} ms)`);
console.log(
  `engine, current terms: median ${median.toFixed(0)} ms of ${RUNS} (${engineMs.map((m) => m.toFixed(0)).join(', ')}); ` +
    `${(median / readMs).toFixed(3)}× the read; event loop held at most ${(lag.max / 1e6).toFixed(0)} ms; ` +
    `proposed ${equal ? '=' : '≠'} actual`,
);
