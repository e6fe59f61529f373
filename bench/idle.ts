/**
 * Idle latency, hop by hop: conversions sent one at a time to a quiet fleet, each waited for until
 * the BFF has seen its CommissionApproved, then split into the hops its timeline records.
 *
 *   npx tsx bench/idle.ts [--count 40] [--built dist] [--profile DIR]
 *
 * A hop's time runs from the moment one service wrote its fact (the envelope's occurred-at, taken
 * inside the producing transaction) to the moment the next one wrote its own: the producer's
 * commit, the outbox relay's wake-up and send, the broker, the consumer's delivery and its
 * transaction. Starts its own fleet on ports 18600/19600. `--profile DIR` writes each service's
 * CPU profile there (node --cpu-prof) when the fleet stops.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { startFleet } from '../scripts/fleet.js';
import { Client, percentile } from '../scripts/lib/client.js';
import { defined } from '@beacon/domain';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const COUNT = Number(arg('count', '40'));
const PG = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';

/** The steps of one conversion's flow, in the order they happen. */
const HOPS = [
  ['accepted by the BFF', 'recorded by tracking'],
  ['recorded by tracking', 'commission.CommissionCalculated'],
  ['commission.CommissionCalculated', 'campaign.BudgetReserved'],
  ['campaign.BudgetReserved', 'commission.CommissionApproved'],
  ['commission.CommissionApproved', 'seen by the BFF'],
] as const;

async function main(): Promise<void> {
  const built = process.argv.includes('--built') ? arg('built', 'dist') : undefined;
  const profile = process.argv.includes('--profile') ? arg('profile', '.fleet/profiles') : undefined;
  if (profile && !built) throw new Error('--profile needs --built: the profile is taken of the bundles');
  const nodeArgs = profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : undefined;
  const fleet = await startFleet({ bffPort: 18600, opsPortBase: 19600, quiet: true, built, nodeArgs });
  const bff = new pg.Pool({ connectionString: `${PG}/beacon_bff`, max: 2 });
  try {
    const run = randomUUID().slice(0, 6);
    const brandId = `idle-brand-${run}`;
    const brand = await Client.as(fleet.baseUrl, brandId, 'brand');
    const campaign = (
      await brand.command('/api/v1/campaigns', {
        name: 'Idle',
        landingUrl: 'https://idle.example',
        budget: { amount: '100000.00', currency: 'USD' },
        commissionRules: [{ event: 'conversion', type: 'fixed', amount: { amount: '1.00', currency: 'USD' } }],
      })
    ).id;
    const influencerId = `idle-inf-${run}`;
    await (
      await Client.as(fleet.baseUrl, influencerId, 'influencer')
    ).command(`/api/v1/campaigns/${campaign}/accept`, { acceptedTerms: true });
    const ingest = await Client.ingestFor(fleet.baseUrl, brandId);

    const hops: number[][] = HOPS.map(() => []);
    const totals: number[] = [];
    // The first few warm the fleet's code paths and connections; they are not counted.
    const warmup = 5;
    for (let i = 0; i < COUNT + warmup; i++) {
      const started = Date.now();
      const reply = await ingest.post<{ correlationId: string }>('/api/v1/tracking/events', {
        type: 'conversion',
        campaignId: campaign,
        influencerId,
        visitorId: `idle-${i}`,
        value: { amount: '10.00', currency: 'USD' },
        orderId: `idle-${run}-${i}`,
      });
      if (reply.status !== 202) throw new Error(`conversion refused: ${reply.status} ${JSON.stringify(reply.body)}`);
      const correlationId = reply.body.correlationId;
      let at: Record<string, number> | undefined;
      const deadline = Date.now() + 30_000;
      while (!at && Date.now() < deadline) {
        const steps = await bff.query<{ type: string; occurred_at: string; seen_at: Date }>(
          `SELECT type, occurred_at, seen_at FROM operation_steps WHERE correlation_id = $1`,
          [correlationId],
        );
        const approved = steps.rows.find((s) => s.type === 'commission.CommissionApproved');
        if (approved) {
          const times: Record<string, number> = {};
          for (const s of steps.rows) times[s.type] = Date.parse(s.occurred_at);
          const op = await bff.query<{ created_at: Date }>(
            'SELECT created_at FROM operations WHERE correlation_id = $1',
            [correlationId],
          );
          const recorded = await bff.query<{ recorded_at: string }>(
            'SELECT recorded_at FROM rm_tracking_events WHERE correlation_id = $1',
            [correlationId],
          );
          times['accepted by the BFF'] = defined(op.rows[0], 'the operation').created_at.getTime();
          times['recorded by tracking'] = Date.parse(defined(recorded.rows[0], 'the recorded event').recorded_at);
          times['seen by the BFF'] = approved.seen_at.getTime();
          at = times;
        } else await new Promise((r) => setTimeout(r, 2));
      }
      if (!at) throw new Error(`conversion ${correlationId} not approved within 30 s`);
      if (i < warmup) continue;
      totals.push(Date.now() - started);
      HOPS.forEach(([from, to], h) => defined(hops[h], 'a hop').push(defined(at[to], to) - defined(at[from], from)));
      // Idle means idle: the next conversion comes after a pause, not on the heels of the last.
      await new Promise((r) => setTimeout(r, 200));
    }
    const fmt = (xs: number[]) => `p50 ${percentile(xs, 50).toFixed(0)} ms, p99 ${percentile(xs, 99).toFixed(0)} ms`;
    console.log(`idle conversions: ${COUNT}, one at a time (after ${warmup} to warm up)`);
    HOPS.forEach(([from, to], h) => console.log(`  ${from} → ${to}: ${fmt(defined(hops[h], 'a hop'))}`));
    console.log(`  request → CommissionApproved seen by the client's poll: ${fmt(totals)}`);
    // Where a hop's time goes inside the consumer: its handler's mean time per message type (inbox,
    // handler, commit and the send on commit), from each service's own histogram.
    const services = ['bff', 'campaign', 'tracking', 'commission', 'payment'];
    for (const [i, service] of services.entries()) {
      const text = await (await fetch(`http://127.0.0.1:${19600 + i}/metrics`)).text();
      const sums = new Map<string, { sum: number; count: number }>();
      for (const m of text.matchAll(
        /^beacon_handler_seconds_(sum|count)\{[^}]*type="([^"]+)"[^}]*\} ([0-9.e+-]+)$/gm,
      )) {
        const [, which, type, value] = m;
        const entry = sums.get(type ?? '') ?? { sum: 0, count: 0 };
        entry[which as 'sum' | 'count'] = Number(value);
        sums.set(type ?? '', entry);
      }
      const line = [...sums]
        .filter(([, v]) => v.count > 0)
        .map(([type, v]) => `${type} ${((v.sum / v.count) * 1000).toFixed(1)} ms × ${v.count}`)
        .join(', ');
      console.log(`  ${service}: ${line || '(no handled messages)'}`);
    }
  } finally {
    await bff.end();
    await fleet.stop();
  }
}

await main();
