/**
 * Replaying history, measured: `npm run rebuild -- bff` over everything the topics hold (the rate it
 * rebuilds the BFF's read model at), and a backtest of one campaign's current terms through the API
 * (the rate it reads and decides that campaign's history at, and whether it reproduced the payouts).
 */
import { execFileSync } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { HISTORY_NAMESPACES } from '@beacon/contracts';
import { pulsarAuthHeaders } from '@beacon/messaging';
import { rebuild } from '../../scripts/rebuild.js';
import type { Client } from '../../scripts/lib/client.js';

/**
 * What the retained history costs: the logical size of every topic's ledgers in the four history
 * namespaces (the broker's storageSize: payload and entry metadata), and what BookKeeper's directory
 * holds on disk (entry logs and journal, one copy in standalone), per tracking event recorded.
 */
export async function measureDisk(
  trackingDatabaseUrl: string,
): Promise<{ events: number; storageBytes: number; diskBytes: number }> {
  const admin = (process.env.PULSAR_ADMIN_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
  const tenant = process.env.PULSAR_TENANT ?? 'beacon';
  const headers = pulsarAuthHeaders();
  let storageBytes = 0;
  for (const ns of HISTORY_NAMESPACES) {
    const topics = (await (
      await fetch(`${admin}/admin/v2/persistent/${tenant}/${ns}`, { headers })
    ).json()) as string[];
    for (const topic of topics) {
      const path = topic.replace('persistent://', '');
      const stats = (await (await fetch(`${admin}/admin/v2/persistent/${path}/stats`, { headers })).json()) as {
        storageSize?: number;
      };
      storageBytes += stats.storageSize ?? 0;
    }
  }
  const dir = join(
    process.env.BEACON_CACHE_DIR ?? join(homedir(), '.cache', 'beacon'),
    'pulsar-run',
    'data',
    'bookkeeper',
  );
  const diskBytes = Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split(/\s/)[0]);
  const db = new pg.Client({ connectionString: trackingDatabaseUrl });
  await db.connect();
  try {
    const events = Number((await db.query('SELECT count(*) AS n FROM tracking_events')).rows[0].n);
    return { events, storageBytes, diskBytes };
  } finally {
    await db.end();
  }
}

export interface HistoryFigures {
  rebuild: { messages: number; trackingEvents: number; seconds: number; swapMs: number };
  backtest: { messages: number; scanned: number; events: number; seconds: number; equal: boolean };
  disk: { events: number; storageBytes: number; diskBytes: number };
}

const HISTORY_TOPICS_NOTE = 'campaign, tracking and commission events';

export async function measureHistory(options: {
  bffDatabaseUrl: string;
  trackingDatabaseUrl: string;
  brand: Client;
  campaignId: string;
  /** the campaign's own rules, as it was created with them */
  commissionRules: unknown[];
  say: (line: string) => void;
}): Promise<HistoryFigures> {
  const db = new pg.Client({ connectionString: options.bffDatabaseUrl });
  await db.connect();
  try {
    options.say('Beacon: npm run rebuild -- bff (the whole read model, from the topics)…');
    const report = await rebuild('bff');
    const trackingEvents = Number((await db.query('SELECT count(*) AS n FROM rm_tracking_events')).rows[0].n);
    await db.query(`DROP SCHEMA ${report.retiredSchema} CASCADE`);
    options.say(
      `  ${report.applied} messages (${trackingEvents} tracking events in the model) in ${report.seconds.toFixed(1)} s → ` +
        `${(report.applied / report.seconds).toFixed(0)} messages/s, ${(trackingEvents / report.seconds).toFixed(0)} ` +
        `tracking events/s; live tables held ${report.swapMs} ms for the swap`,
    );

    options.say(`Beacon: a backtest of one campaign's current terms (${HISTORY_TOPICS_NOTE})…`);
    const campaign = await options.brand.get<{
      attributionWindowDays: number;
      attributionModel: string;
      createdAt: string;
    }>(`/api/v1/campaigns/${options.campaignId}`);
    const started = performance.now();
    const accepted = await options.brand.post<{ id: string }>(`/api/v1/campaigns/${options.campaignId}/simulations`, {
      commissionRules: options.commissionRules,
      attributionWindowDays: campaign.body.attributionWindowDays,
      attributionModel: campaign.body.attributionModel,
      from: new Date(Date.parse(campaign.body.createdAt) - 360 * 86_400_000).toISOString(),
      to: new Date().toISOString(),
    });
    if (accepted.status !== 202) throw new Error(`simulation: ${accepted.status} ${JSON.stringify(accepted.body)}`);
    const done = await options.brand.until<{ status: string; events?: number; proposed?: unknown; actual?: unknown }>(
      `/api/v1/campaigns/${options.campaignId}/simulations/${accepted.body.id}`,
      (s) => s.status !== 'running',
      600_000,
    );
    const seconds = (performance.now() - started) / 1000;
    const row = await db.query('SELECT result FROM simulations WHERE id = $1', [accepted.body.id]);
    const messages = Number(
      (await db.query(`SELECT count(*) AS n FROM rm_tracking_events WHERE campaign_id = $1`, [options.campaignId]))
        .rows[0].n,
    );
    const equal = JSON.stringify(done.proposed) === JSON.stringify(done.actual);
    // A backtest reads every campaign's retained events and keeps its own: the scan is the cost.
    const scanned = trackingEvents;
    options.say(
      `  ${done.status} in ${seconds.toFixed(1)} s: scanned the topics' ${scanned} tracking events ` +
        `(${(scanned / seconds).toFixed(0)}/s) for the campaign's ${messages}, ${done.events ?? 0} decided again; ` +
        `proposed ${equal ? '=' : '≠'} actual` +
        (row.rows[0]?.result ? '' : ' (no result stored)'),
    );
    const disk = await measureDisk(options.trackingDatabaseUrl);
    const perMillion = (bytes: number) => ((bytes / Math.max(1, disk.events)) * 1e6) / 2 ** 20;
    options.say(
      `  retained history: ${disk.events} tracking events recorded; ledgers ${(disk.storageBytes / 2 ** 20).toFixed(0)} MiB ` +
        `(${perMillion(disk.storageBytes).toFixed(0)} MiB per million events), BookKeeper's directory ` +
        `${(disk.diskBytes / 2 ** 20).toFixed(0)} MiB (${perMillion(disk.diskBytes).toFixed(0)} MiB per million)`,
    );
    return {
      rebuild: { messages: report.applied, trackingEvents, seconds: report.seconds, swapMs: report.swapMs },
      backtest: { messages, scanned, events: done.events ?? 0, seconds, equal },
      disk,
    };
  } finally {
    await db.end();
  }
}
