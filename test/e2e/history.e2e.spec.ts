/**
 * History that can be replayed (issue 20), on the real fleet: the BFF's read model dropped and
 * rebuilt from the topics equals what it was, row for row; a rebuild while events keep arriving
 * loses none and applies none twice.
 */
import pg from 'pg';
import { TEST_PG_URL } from '@beacon/testing';
import { BFF_READ_MODEL } from '../../services/bff/src/service.js';
import { compareRebuild, rebuild } from '../../scripts/rebuild.js';
import { Client } from '../../scripts/lib/client.js';
import { HISTORY_RULES, makeHistory, settledCommissions, type History } from './history-scenario.js';
import { useFleet } from './fleet-under-test.js';
import { explainBacktest } from './backtest-diff.js';
import { Rule, ruleCommandOf } from '../../services/bff/src/campaigns/contract.js';

// Commissions other test files held expire on the review timer: none here, so the fleet is quiet between snapshots.
const fleet = useFleet({ bffPort: 18080, opsPortBase: 19180, env: { REVIEW_SWEEP_MS: '3600000' } });
let history: History;
let bff: pg.Client;

beforeAll(async () => {
  bff = new pg.Client({ connectionString: `${TEST_PG_URL}/beacon_bff` });
  await bff.connect();
  history = await makeHistory(fleet.baseUrl);
}, 600_000);
afterAll(async () => {
  await bff?.end();
});

/** Every read model table's rows (less the BFF's own arrival order and times), sorted: comparable row for row. */
async function snapshot(): Promise<Record<string, string[]>> {
  const tables: Record<string, string[]> = {};
  for (const table of BFF_READ_MODEL.tables) {
    const { rows } = await bff.query<{ row: unknown }>(`SELECT to_jsonb(t) - 'seq' - 'seen_at' AS row FROM ${table} t`);
    tables[table] = rows.map((r) => JSON.stringify(r.row)).sort();
  }
  return tables;
}

/** The rows of the history's campaign and its creators only (other files' flows may still move in a running fleet). */
async function campaignSnapshot(): Promise<Record<string, string[]>> {
  const tables: Record<string, string[]> = {};
  const influencers = history.influencers.map((i) => i.id);
  const scoped: Record<string, string> = {
    rm_ledger: 'influencer_id = ANY($2)',
    rm_payouts: 'influencer_id = ANY($2)',
  };
  for (const table of BFF_READ_MODEL.tables) {
    const { rows: columns } = await bff.query(
      `SELECT 1 FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 AND column_name = 'campaign_id'`,
      [table],
    );
    const where = columns.length > 0 ? 'campaign_id = $1' : scoped[table];
    if (!where) continue;
    const { rows } = await bff.query<{ row: unknown }>(
      `SELECT to_jsonb(t) - 'seq' - 'seen_at' AS row FROM ${table} t WHERE ${where} AND $1::text IS NOT NULL AND $2::text[] IS NOT NULL`,
      [history.campaignId, influencers],
    );
    tables[table] = rows.map((r) => JSON.stringify(r.row)).sort();
  }
  return tables;
}

/** The snapshot once it stops changing (the fleet has projected everything sent). */
async function settledSnapshot(): Promise<Record<string, string[]>> {
  let last = JSON.stringify(await snapshot());
  for (;;) {
    await new Promise((r) => setTimeout(r, 2500));
    const next = await snapshot();
    if (JSON.stringify(next) === last) return next;
    last = JSON.stringify(next);
  }
}

/** What a brand and its creators read: the campaign's stats, its commissions, each creator's balance. */
async function views(h: History) {
  const stats = await h.brand.get(`/api/v1/campaigns/${h.campaignId}/stats`);
  const commissions = await settledCommissions(h.brand, h.campaignId);
  const balances = [];
  for (const { client } of h.influencers) balances.push((await client.get('/api/v1/balance')).body);
  const sorted = commissions.map((c) => JSON.stringify(c)).sort();
  return { stats: stats.body, commissions: sorted, balances };
}

const rowCount = (s: Record<string, string[]>) => Object.values(s).reduce((n, rows) => n + rows.length, 0);

type Column = {
  total: { amount: string };
  byInfluencer: Array<{ influencerId: string; amount: { amount: string } }>;
  byDay: unknown[];
  rejectedByReason: Record<string, number>;
  held: { count: number };
  reversed: number;
  budgetExhaustedAt: string | null;
};
type Simulation = {
  status: string;
  progress: number;
  proposed?: Column;
  actual?: Column;
  events?: number;
  error?: string;
};

async function simulate(h: History, body: Record<string, unknown>): Promise<Simulation> {
  const started = await h.brand.post<{ id: string }>(`/api/v1/campaigns/${h.campaignId}/simulations`, {
    from: h.from,
    to: new Date().toISOString(),
    ...body,
  });
  expect(started.status).toBe(202);
  return h.brand.until<Simulation>(
    `/api/v1/campaigns/${h.campaignId}/simulations/${started.body.id}`,
    (s) => s.status !== 'running',
    300_000,
  );
}

const count = async (database: string, query: string) => {
  const client = new pg.Client({ connectionString: `${TEST_PG_URL}/${database}` });
  await client.connect();
  try {
    return Number((await client.query(query)).rows[0].n);
  } finally {
    await client.end();
  }
};

describe('backtesting commission terms (POST /api/v1/campaigns/{id}/simulations)', () => {
  it('the current terms, run again by the deciders over the retained events, pay exactly what was paid', async () => {
    const before = {
      commissions: await count('beacon_commission', 'SELECT count(*) AS n FROM commissions'),
      events: await count('beacon_tracking', 'SELECT count(*) AS n FROM tracking_events'),
      campaign: await count('beacon_campaign', 'SELECT count(*) AS n FROM reservations'),
    };
    const s = await simulate(history, { commissionRules: HISTORY_RULES, attributionWindowDays: 2 });
    expect(s.error).toBeUndefined();
    expect(s.status).toBe('completed');
    expect(s.progress).toBe(1);
    expect(s.events).toBeGreaterThan(2000);
    // It read the whole history: every event tracking re-decides (valid, not an impression) that tracking stored.
    const decidable = await count(
      'beacon_tracking',
      `SELECT count(*) AS n FROM tracking_events WHERE campaign_id = '${history.campaignId}'
         AND valid AND type NOT IN ('impression', 'custom')`,
    );
    expect(s.events).toBe(decidable);
    const { proposed, actual } = s as Required<Simulation>;
    // For the record (the README's figures): what the history held and what it paid.
    console.log(`backtest of the current terms over ${history.events} events: ${JSON.stringify(actual)}`);
    if (JSON.stringify(proposed) !== JSON.stringify(actual))
      console.log(
        await explainBacktest(
          history.campaignId,
          { rules: HISTORY_RULES.map((r) => ruleCommandOf(Rule.parse(r))), attributionWindowDays: 2 },
          history.from,
          new Date().toISOString(),
        ),
      );
    expect(proposed).toEqual(actual);
    // And what was paid is what the brand's commission list says was paid, to the cent (read now: the
    // approvals of the brand's last review decisions reach the list a moment after their operations complete).
    const commissions = await settledCommissions(history.brand, history.campaignId);
    const paid = commissions
      .filter((c) => c.status === 'approved' || c.status === 'paid')
      .reduce((sum, c) => sum + Math.round(Number((c.amount as { amount: string }).amount) * 100), 0);
    expect(Math.round(Number(actual.total.amount) * 100)).toBe(paid);
    expect(paid).toBeGreaterThan(0);
    // Rejections, holds, reversals and the budget's end all took part.
    expect(actual.rejectedByReason.BUDGET_EXHAUSTED).toBeGreaterThan(0);
    expect(actual.rejectedByReason.UNATTRIBUTED).toBeGreaterThan(0);
    expect(actual.rejectedByReason.FRAUD).toBeGreaterThan(0);
    expect(actual.reversed).toBeGreaterThan(0);
    expect(actual.budgetExhaustedAt).not.toBeNull();
    // A sandbox: nothing a live flow reads was written.
    expect({
      commissions: await count('beacon_commission', 'SELECT count(*) AS n FROM commissions'),
      events: await count('beacon_tracking', 'SELECT count(*) AS n FROM tracking_events'),
      campaign: await count('beacon_campaign', 'SELECT count(*) AS n FROM reservations'),
    }).toEqual(before);
  }, 600_000);

  it('other terms pay otherwise: a longer window attributes the late sales, a richer rate spends the budget sooner', async () => {
    const s = await simulate(history, {
      commissionRules: [
        { event: 'click', type: 'fixed', amount: { amount: '0.05', currency: 'USD' } },
        { event: 'conversion', type: 'percent', rate: '15' },
      ],
      attributionWindowDays: 30,
      attributionModel: 'first_click',
    });
    expect(s.status).toBe('completed');
    const { proposed, actual } = s as Required<Simulation>;
    expect(proposed.rejectedByReason.UNATTRIBUTED ?? 0).toBeLessThan(actual.rejectedByReason.UNATTRIBUTED ?? 0);
    expect(proposed.rejectedByReason.NO_RULE).toBeGreaterThan(0); // leads earn nothing without a lead rule
    expect(proposed.budgetExhaustedAt).not.toBeNull();
    expect(String(proposed.budgetExhaustedAt) < String(actual.budgetExhaustedAt)).toBe(true);
  }, 600_000);

  it('only the owner brand or admin may run one; a bad request is a 400; a run can be cancelled', async () => {
    const other = await Client.as(fleet.baseUrl, 'brand-other', 'brand');
    const body = { commissionRules: HISTORY_RULES, from: history.from, to: new Date().toISOString() };
    expect((await other.post(`/api/v1/campaigns/${history.campaignId}/simulations`, body)).status).toBe(404);
    const influencer = history.influencers[0]?.client as Client;
    expect((await influencer.post(`/api/v1/campaigns/${history.campaignId}/simulations`, body)).status).toBe(403);
    const backwards = await history.brand.post(`/api/v1/campaigns/${history.campaignId}/simulations`, {
      ...body,
      to: history.from,
      from: new Date().toISOString(),
    });
    expect(backwards.status).toBe(400);
    const euros = await history.brand.post(`/api/v1/campaigns/${history.campaignId}/simulations`, {
      ...body,
      commissionRules: [{ event: 'click', type: 'fixed', amount: { amount: '1.00', currency: 'EUR' } }],
    });
    expect(euros.status).toBe(400);
    const started = await history.brand.post<{ id: string }>(
      `/api/v1/campaigns/${history.campaignId}/simulations`,
      body,
    );
    expect(started.status).toBe(202);
    const path = `/api/v1/campaigns/${history.campaignId}/simulations/${started.body.id}`;
    expect((await other.get(path)).status).toBe(404);
    const cancelled = await history.brand.post<Simulation>(`${path}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(['cancelled', 'completed']).toContain(cancelled.body.status);
    const after = await history.brand.until<Simulation>(path, (b) => b.status !== 'running');
    expect(after.status).toBe(cancelled.body.status);
  }, 120_000);
});

describe('rebuilding the BFF read model from the topics (npm run rebuild -- bff)', () => {
  // These compare snapshots of the whole read model, every tenant's rows. Deliveries that earlier files
  // left retrying (their receivers are gone; the next try can be minutes later) would move the webhook
  // tables between two snapshots: their sender is stopped first. The rebuild still reads its topics.
  beforeAll(() => fleet.kill('webhook'), 60_000);

  it('drops the read model of a running fleet, rebuilds it, and every row, stat, commission and balance is as before', async () => {
    const before = await settledSnapshot();
    const seen = await views(history);
    expect(rowCount(before)).toBeGreaterThan(history.events);
    expect(seen.commissions.length).toBeGreaterThan(500);

    // Dropped, all that the topics hold (a timeline's command steps are the BFF's own record): the BFF still serves, from empty tables.
    await bff.query(`TRUNCATE ${BFF_READ_MODEL.tables.filter((t) => t !== 'operation_steps').join(', ')}`);
    await bff.query(`DELETE FROM operation_steps WHERE kind = 'event'`);
    const emptied = await history.brand.get<{ items: unknown[] }>(
      `/api/v1/commissions?campaignId=${history.campaignId}`,
    );
    expect(emptied.status).toBe(200);
    expect(emptied.body.items).toHaveLength(0);

    const report = await rebuild('bff');
    expect(report.applied).toBeGreaterThan(0);
    expect(report.passedOver).toBe(0);
    const after = await snapshot();
    for (const table of BFF_READ_MODEL.tables)
      expect({ table, rows: after[table] }).toEqual({ table, rows: before[table] });
    expect(await views(history)).toEqual(seen);
    // The old tables are kept aside, and the view over the stats follows the new ones.
    const retired = await bff.query(`SELECT count(*)::int AS n FROM ${report.retiredSchema}.rm_commissions`);
    expect(retired.rows[0].n).toBe(0);
    // The operator's comparison sees what the rebuild brought back into the emptied tables.
    const compared = await compareRebuild('bff', report.retiredSchema);
    expect(compared.find((t) => t.table === 'rm_commissions')).toEqual({
      table: 'rm_commissions',
      onlyBefore: 0,
      onlyAfter: before.rm_commissions?.length,
    });
    await bff.query(`DROP SCHEMA ${report.retiredSchema} CASCADE`);
  }, 600_000);

  it('a rebuild that fails before its swap leaves the live read model as it was, and the next one starts afresh', async () => {
    const before = await settledSnapshot();
    await expect(
      rebuild('bff', {
        beforeSwap: async () => {
          throw new Error('the operator pressed ^C');
        },
      }),
    ).rejects.toThrow('^C');
    expect(await snapshot()).toEqual(before);
    const sandbox = await bff.query(`SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = 'rebuild_bff'`);
    expect(sandbox.rows[0].n).toBe(1); // left behind, never swapped in: the next run drops it
    const report = await rebuild('bff');
    expect(await snapshot()).toEqual(before);
    await bff.query(`DROP SCHEMA ${report.retiredSchema} CASCADE`);
  }, 600_000);

  it('rebuilds tracking’s replica of the campaigns and their codes (npm run rebuild -- tracking)', async () => {
    const tracking = new pg.Client({ connectionString: `${TEST_PG_URL}/beacon_tracking` });
    await tracking.connect();
    try {
      const rows = async () => {
        const out: Record<string, string[]> = {};
        for (const table of ['campaigns', 'coupons']) {
          const { rows: found } = await tracking.query<{ row: unknown }>(`SELECT to_jsonb(t) AS row FROM ${table} t`);
          out[table] = found.map((r) => JSON.stringify(r.row)).sort();
        }
        return out;
      };
      const before = await rows();
      expect(before.campaigns?.length).toBeGreaterThan(0);
      expect(before.coupons?.length).toBeGreaterThan(0);
      await tracking.query('TRUNCATE campaigns, coupons');
      const report = await rebuild('tracking');
      expect(await rows()).toEqual(before);
      await tracking.query(`DROP SCHEMA ${report.retiredSchema} CASCADE`);
    } finally {
      await tracking.end();
    }
  }, 600_000);

  it('rebuilds while events keep arriving: the ones that came during the rebuild are there once, none lost', async () => {
    const ingest = await Client.ingestFor(fleet.baseUrl, history.brandId);
    const visitor = `v-live-${Date.now()}`;
    const send = async (n: number) => {
      const reply = await ingest.post<{ correlationId: string }>('/api/v1/tracking/events:batch', {
        events: Array.from({ length: n }, (_, i) => ({
          type: 'click',
          campaignId: history.campaignId,
          influencerId: history.influencers[i % 3]?.id,
          visitorId: `${visitor}-${i}`,
        })),
      });
      expect(reply.status).toBe(202);
      await ingest.settle(reply.body.correlationId, 60_000);
    };
    const clicksOf = async () =>
      Number(
        (
          await bff.query(
            `SELECT count(*) AS n FROM rm_tracking_events WHERE campaign_id = $1 AND visitor_id LIKE $2`,
            [history.campaignId, `${visitor}-%`],
          )
        ).rows[0].n,
      );
    let during = 0;
    const report = await rebuild('bff', {
      // Between catching up and the swap: the live BFF projects these into the old tables, the rebuild must take them too.
      beforeSwap: async () => {
        await send(40);
        during = await clicksOf();
      },
    });
    expect(during).toBe(40);
    // After the swap, more: the live consumers write them into the new tables.
    await send(25);
    await settledSnapshot();
    const live = await campaignSnapshot();
    expect(await clicksOf()).toBe(65);
    await bff.query(`DROP SCHEMA ${report.retiredSchema} CASCADE`);

    // A quiet rebuild of the same history is the same, row for row: the swap lost and doubled nothing.
    const quiet = await rebuild('bff');
    const again = await campaignSnapshot();
    expect(again.rm_tracking_events?.length).toBeGreaterThan(history.events);
    for (const table of Object.keys(live)) expect({ table, rows: again[table] }).toEqual({ table, rows: live[table] });
    // and so says the operator's comparison (npm run rebuild -- bff --compare), over whole tables
    const compared = await compareRebuild('bff', quiet.retiredSchema);
    expect(compared.filter((t) => t.onlyBefore + t.onlyAfter > 0)).toEqual([]);
    expect(compared.map((t) => t.table)).toEqual(BFF_READ_MODEL.tables);
    await bff.query(`DROP SCHEMA ${quiet.retiredSchema} CASCADE`);
  }, 600_000);
});
