/**
 * Why a backtest of the current terms differs from what was paid: reads the campaign's history as the
 * BFF does, runs the engine, and lists the source events whose commission ended otherwise in the two
 * columns, each with the history's messages about it (their position, topic type, and budget figures).
 * A test prints it when the columns differ, so a failure says where to look.
 */
import {
  simulation,
  type HistoryMessage,
  type Outcome,
  type ProposedTerms,
} from '../../services/bff/src/simulations/engine.js';
import { campaignHistoryAsBff } from '../../scripts/lib/history-as-bff.js';

const describeMessage = (m: HistoryMessage, i: number): string => {
  if (m.type === 'tracking.Recorded') {
    const e = m.data.event;
    return `#${i} recorded ${e.type} ${e.eventId} valid=${e.valid} attribution=${e.attribution} influencer=${e.influencerId}`;
  }
  if (m.type === 'campaign.CampaignCreated') return `#${i} CampaignCreated`;
  const data = m.event.data as Record<string, unknown>;
  const money = (k: string) => {
    const v = data[k] as { amountMinor?: bigint } | undefined;
    return v?.amountMinor !== undefined ? ` ${k}=${v.amountMinor}` : '';
  };
  return `#${i} ${m.event.type}${money('reserved')}${money('released')}${money('remaining')}${money('amount')}${
    data.reason ? ` reason=${String(data.reason)}` : ''
  }`;
};

export async function explainBacktest(
  campaignId: string,
  proposed: ProposedTerms,
  from: string,
  to: string,
  limit = 8,
): Promise<string> {
  const history = await campaignHistoryAsBff(campaignId);
  const steps = simulation(history, { campaignId, proposed, from, to });
  let next = steps.next();
  while (!next.done) next = steps.next();
  const result = next.value;
  const key = (o: Outcome) => `${o.status} ${o.amountMinor} ${o.reason ?? ''} ${o.influencerId ?? ''}`;
  const actual = new Map(result.outcomes.actual.map((o) => [o.sourceEventId, o]));
  const differing = result.outcomes.proposed.filter((p) => {
    const a = actual.get(p.sourceEventId);
    return !a || key(a) !== key(p);
  });
  // The commission ids of each source event, to find the budget messages about it.
  const commissionIds = new Map<string, Set<string>>();
  for (const m of history)
    if (m.type === 'commission' || m.type === 'campaign') {
      const d = m.event.data as { commissionId?: string; sourceEventId?: string };
      if (d.commissionId && d.sourceEventId)
        commissionIds.set(d.sourceEventId, (commissionIds.get(d.sourceEventId) ?? new Set()).add(d.commissionId));
    }
  const lines = [`${history.length} messages; ${differing.length} source events end otherwise:`];
  for (const p of differing.slice(0, limit)) {
    const a = actual.get(p.sourceEventId);
    lines.push(`- ${p.sourceEventId}: proposed ${key(p)} | actual ${a ? key(a) : 'none'}`);
    const ids = commissionIds.get(p.sourceEventId) ?? new Set();
    history.forEach((m, i) => {
      const d = (
        m.type === 'tracking.Recorded' ? m.data.event : m.type === 'campaign.CampaignCreated' ? {} : m.event.data
      ) as {
        commissionId?: string;
        eventId?: string;
        refundedEventId?: string;
      };
      if (
        d.eventId === p.sourceEventId ||
        d.refundedEventId === p.sourceEventId ||
        (d.commissionId !== undefined && ids.has(d.commissionId))
      )
        lines.push(`    ${describeMessage(m, i)}`);
    });
  }
  return lines.join('\n');
}
