import { useState, type FormEvent } from 'react';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import {
  formatMoney,
  type Api,
  type Campaign,
  type Commission,
  type CommissionRule,
  type Session,
  type Stats,
} from './api';
import { go, messageOf, useLoad } from './hooks';
import { Timeline } from './Timeline';
import { Choice, Empty, ErrorNote, Loading, MoneyFields, Table, Pill } from './ui';

/** What a command started: its flow shown live under the form or button that sent it. */
export type Started = { correlationId: string; title: string } | undefined;

function BudgetBar({ c }: { c: Campaign }) {
  // An influencer is shown the terms, not what the brand has spent.
  if (!c.spent) return <span className="budget-total">{formatMoney(c.budget)} budget</span>;
  const budget = Number(c.budget.amount);
  const share = budget > 0 ? Math.min(1, Number(c.spent.amount) / budget) : 0;
  return (
    <div className="budget" title={`${c.spent.amount} of ${formatMoney(c.budget)} spent`}>
      <div className="budget-fill" style={{ width: `${share * 100}%` }} />
      <span>
        {c.spent.amount} / {formatMoney(c.budget)}
      </span>
    </div>
  );
}

export function CampaignList({ api, session }: { api: Api; session: Session }) {
  const { data, error, loading, reload } = useLoad(async () => ({ items: await api.campaigns() }), [api]);
  const isBrand = session.roles.includes('brand') || session.roles.includes('admin');
  const isInfluencer = session.roles.includes('influencer');
  return (
    <section>
      <div className="heading">
        <h2>Campaigns</h2>
        <div className="actions">
          <button className="ghost" onClick={reload}>
            Refresh
          </button>
          {isBrand && <button onClick={() => go('campaigns', 'new')}>New campaign</button>}
        </div>
      </div>
      {loading && !data && <Loading what="campaigns" />}
      <ErrorNote error={error} />
      {data && data.items.length === 0 && (
        <Empty>
          {isBrand
            ? 'No campaigns yet. Create one: it goes active as soon as the campaign service has checked it.'
            : 'No open campaigns and no invitations yet. Brands invite you by your id: ' + session.sub}
        </Empty>
      )}
      <ul className="cards">
        {data?.items.map((c) => (
          <li key={c.id} className="card" onClick={() => go('campaigns', c.id)}>
            <div className="card-top">
              <strong>{c.name}</strong>
              <Pill status={c.status} />
            </div>
            <BudgetBar c={c} />
            <p className="muted">
              {c.visibility === 'open' ? 'open' : 'invite only'} · {c.commissionRules.length} rule
              {c.commissionRules.length === 1 ? '' : 's'}
              {isInfluencer &&
                ` · ${(c.influencers ?? []).find((i) => i.influencerId === session.sub)?.status ?? 'not joined'}`}
            </p>
          </li>
        ))}
      </ul>
    </section>
  );
}

type RuleKind = 'conversion-percent' | 'conversion-fixed' | 'click-fixed' | 'impression-per_mille';
interface RuleDraft {
  kind: RuleKind;
  value: string;
}
const RULE_LABELS: Record<RuleKind, string> = {
  'conversion-percent': 'Conversion · percent of order value',
  'conversion-fixed': 'Conversion · fixed amount',
  'click-fixed': 'Click · fixed amount',
  'impression-per_mille': 'Impressions · per 1,000',
};

function ruleOf(draft: RuleDraft, currency: string): CommissionRule {
  const amount = { amount: draft.value, currency };
  switch (draft.kind) {
    case 'conversion-percent':
      return { event: 'conversion', type: 'percent', rate: draft.value };
    case 'conversion-fixed':
      return { event: 'conversion', type: 'fixed', amount };
    case 'click-fixed':
      return { event: 'click', type: 'fixed', amount };
    case 'impression-per_mille':
      return { event: 'impression', type: 'per_mille', amount };
  }
}

type Visibility = 'open' | 'invite_only';
const VISIBILITIES: Array<[Visibility, string]> = [
  ['open', 'open'],
  ['invite_only', 'invite only'],
];

export function NewCampaign({ api }: { api: Api }) {
  const [name, setName] = useState('');
  const [landingUrl, setLandingUrl] = useState('https://');
  const [budget, setBudget] = useState('1000.00');
  const [currency, setCurrency] = useState('USD');
  const [visibility, setVisibility] = useState<Visibility>('open');
  const [holdingPeriodDays, setHolding] = useState(0);
  const [influencerIds, setInfluencers] = useState('');
  const [rules, setRules] = useState<RuleDraft[]>([{ kind: 'conversion-percent', value: '10' }]);
  const [error, setError] = useState<string>();
  const [started, setStarted] = useState<Started & { id?: string }>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const accepted = await api.createCampaign({
        name,
        landingUrl,
        budget: { amount: budget, currency },
        visibility,
        holdingPeriodDays,
        commissionRules: rules.map((r) => ruleOf(r, currency)),
        influencerIds: influencerIds.split(/[\s,]+/).filter(Boolean),
      });
      setStarted({ correlationId: accepted.correlationId, title: 'Creating the campaign', id: accepted.id });
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section>
      <h2>New campaign</h2>
      <form className="form" onSubmit={submit}>
        <label>
          Name
          <input value={name} onChange={(e) => setName(e.target.value)} placeholder="Summer launch" />
        </label>
        <label>
          Landing URL
          <input value={landingUrl} onChange={(e) => setLandingUrl(e.target.value)} />
        </label>
        <MoneyFields label="Budget" amount={budget} currency={currency} onAmount={setBudget} onCurrency={setCurrency} />
        <div className="row">
          <Choice label="Visibility" value={visibility} options={VISIBILITIES} onChange={setVisibility} />
          <label>
            Holding period (days)
            <input
              type="number"
              min={0}
              value={holdingPeriodDays}
              onChange={(e) => setHolding(Number(e.target.value))}
            />
          </label>
        </div>
        <fieldset>
          <legend>Commission rules</legend>
          {rules.map((r, i) => (
            <div className="row rule" key={i}>
              <select
                aria-label={`rule ${i + 1} kind`}
                value={r.kind}
                onChange={(e) =>
                  setRules(rules.map((x, j) => (j === i ? { ...x, kind: e.target.value as RuleKind } : x)))
                }
              >
                {Object.entries(RULE_LABELS).map(([k, label]) => (
                  <option key={k} value={k}>
                    {label}
                  </option>
                ))}
              </select>
              <input
                aria-label={`rule ${i + 1} value`}
                value={r.value}
                onChange={(e) => setRules(rules.map((x, j) => (j === i ? { ...x, value: e.target.value } : x)))}
                placeholder={r.kind === 'conversion-percent' ? 'rate, e.g. 10' : `amount in ${currency}`}
              />
              <button
                type="button"
                className="ghost"
                onClick={() => setRules(rules.filter((_, j) => j !== i))}
                disabled={rules.length === 1}
              >
                Remove
              </button>
            </div>
          ))}
          <button
            type="button"
            className="ghost"
            onClick={() => setRules([...rules, { kind: 'click-fixed', value: '0.25' }])}
            disabled={rules.length >= 10}
          >
            Add a rule
          </button>
        </fieldset>
        <label>
          Invite influencers (ids, comma separated)
          <input value={influencerIds} onChange={(e) => setInfluencers(e.target.value)} />
        </label>
        <ErrorNote error={error} />
        <button type="submit" disabled={busy}>
          {busy ? 'Sending…' : 'Create campaign'}
        </button>
      </form>
      {started && (
        <>
          <Timeline api={api} correlationId={started.correlationId} title={started.title} />
          {started.id && (
            <button className="ghost" onClick={() => started.id && go('campaigns', started.id)}>
              Open the campaign
            </button>
          )}
        </>
      )}
    </section>
  );
}

/** Grid, axes, tooltip and legend, as an array: recharts reads a chart's parts from its direct children. */
const chartFrame = (xKey: string, counts = false) => [
  <CartesianGrid key="grid" strokeDasharray="3 3" />,
  <XAxis key="x" dataKey={xKey} fontSize={11} />,
  <YAxis key="y" fontSize={11} allowDecimals={!counts} />,
  <Tooltip key="tooltip" />,
  <Legend key="legend" />,
];

function StatsCharts({ stats }: { stats: Stats }) {
  const byDay = stats.byDay.map((d) => ({
    day: d.day,
    impressions: d.impressions,
    clicks: d.clicks,
    conversions: d.conversions,
    revenue: Number(d.revenue.amount),
    commissions: Number(d.commissions.amount),
  }));
  const byWindow = (stats.byWindow ?? []).map((w) => ({
    window: w.windowStart.slice(5, 16).replace('T', ' '),
    impressions: w.impressions,
    clicks: w.clicks,
    conversions: w.conversions,
    revenue: Number(w.revenue.amount),
  }));
  return (
    <div className="charts">
      <div className="kpis">
        {[
          ['Impressions', 'impressions', stats.impressions],
          ['Clicks', 'clicks', stats.clicks],
          ['Conversions', 'conversions', stats.conversions],
          ['Revenue', 'revenue', formatMoney(stats.revenue)],
          ['Commissions', 'commissions', formatMoney(stats.commissions)],
          ['Invalid events', 'invalid-events', stats.invalidEvents],
        ].map(([label, kpi, value]) => (
          <div key={kpi}>
            <span>{label}</span>
            <strong data-kpi={kpi}>{value}</strong>
          </div>
        ))}
      </div>
      <h3>Per 4-hour window</h3>
      {byWindow.length === 0 ? (
        <Empty>No events yet. Share a tracking link or send events to see them here.</Empty>
      ) : (
        <ResponsiveContainer width="100%" height={220}>
          <BarChart data={byWindow}>
            {chartFrame('window', true)}
            <Bar dataKey="impressions" fill="#94a3b8" />
            <Bar dataKey="clicks" fill="#6366f1" />
            <Bar dataKey="conversions" fill="#16a34a" />
          </BarChart>
        </ResponsiveContainer>
      )}
      <h3>Per day</h3>
      {byDay.length === 0 ? (
        <Empty>No figures yet.</Empty>
      ) : (
        <ResponsiveContainer width="100%" height={220}>
          <LineChart data={byDay}>
            {chartFrame('day')}
            <Line dataKey="revenue" stroke="#16a34a" />
            <Line dataKey="commissions" stroke="#f59e0b" />
            <Line dataKey="clicks" stroke="#6366f1" />
          </LineChart>
        </ResponsiveContainer>
      )}
    </div>
  );
}

export function CommissionTable({
  api,
  campaignId,
  influencerId,
  version = 0,
}: {
  api: Api;
  campaignId?: string;
  influencerId?: string;
  version?: number;
}) {
  const [status, setStatus] = useState('');
  const { data, error, reload } = useLoad(
    async () => ({
      items: await api.commissions({ campaignId, influencerId, status: status as Commission['status'] | undefined }),
    }),
    [api, campaignId, influencerId, status, version],
  );
  return (
    <div>
      <div className="heading">
        <h3>Commissions</h3>
        <div className="actions">
          <select aria-label="commission status" value={status} onChange={(e) => setStatus(e.target.value)}>
            {['', 'pending', 'approved', 'rejected', 'reversed', 'paid'].map((s) => (
              <option key={s} value={s}>
                {s || 'any status'}
              </option>
            ))}
          </select>
          <button className="ghost" onClick={reload}>
            Refresh
          </button>
        </div>
      </div>
      <ErrorNote error={error} />
      {data && data.items.length === 0 ? (
        <Empty>
          No commissions{status ? ` with status ${status}` : ''} yet. They appear as conversions, clicks and impressions
          earn them.
        </Empty>
      ) : (
        <Table headings={['When', 'Influencer', 'Amount', 'Status', 'Reason']}>
          {data?.items.map((c) => (
            <tr key={c.id}>
              <td>{new Date(c.createdAt).toLocaleString()}</td>
              <td>{c.influencerId ?? '—'}</td>
              <td>{formatMoney(c.amount)}</td>
              <td>
                <Pill status={c.status} />
              </td>
              <td>{c.reason ?? ''}</td>
            </tr>
          ))}
        </Table>
      )}
    </div>
  );
}

export function CampaignPage({ api, session, id }: { api: Api; session: Session; id: string }) {
  const campaign = useLoad(() => api.campaign(id), [api, id]);
  const c = campaign.data;
  const owner =
    !!c && (session.roles.includes('admin') || (session.roles.includes('brand') && c.brandId === session.sub));
  const [version, setVersion] = useState(0);
  const stats = useLoad(async () => (owner ? api.stats(id) : undefined), [api, id, owner, version]);
  const refresh = () => {
    campaign.reload();
    setVersion((v) => v + 1);
  };
  const [started, setStarted] = useState<Started>();
  const [error, setError] = useState<string>();
  const [invitees, setInvitees] = useState('');
  const [link, setLink] = useState<string>();
  const [copied, setCopied] = useState(false);
  const me = c?.influencers?.find((i) => i.influencerId === session.sub)?.status;

  const run = async (title: string, send: () => Promise<{ correlationId: string }>) => {
    setError(undefined);
    try {
      const accepted = await send();
      setStarted({ correlationId: accepted.correlationId, title });
      setTimeout(() => campaign.reload(), 1500);
    } catch (e) {
      setError(messageOf(e));
    }
  };
  const makeLink = async () => {
    setError(undefined);
    try {
      const made = await api.createLink(id);
      setLink(new URL(made.url, window.location.origin).toString());
      setCopied(false);
    } catch (e) {
      setError(messageOf(e));
    }
  };
  const copy = async () => {
    if (!link) return;
    await navigator.clipboard.writeText(link).catch(() => undefined);
    setCopied(true);
  };

  if (campaign.loading && !c) return <Loading what="the campaign" />;
  if (!c) return <ErrorNote error={campaign.error ?? 'Campaign not found'} />;
  return (
    <section>
      <div className="heading">
        <div>
          <h2>{c.name}</h2>
          <p className="muted">
            {c.landingUrl} · brand {c.brandId} · holding {c.holdingPeriodDays} d
          </p>
        </div>
        <span className={`pill ${c.status}`} data-testid="campaign-status">
          {c.status.replace('_', ' ')}
        </span>
      </div>
      <BudgetBar c={c} />
      <p className="muted">
        Rules:{' '}
        {c.commissionRules
          .map((r) => `${r.event} ${r.type} ${r.rate ? `${r.rate}%` : formatMoney(r.amount)}`)
          .join(' · ')}
      </p>
      <div className="actions">
        {owner && c.status === 'active' && (
          <button onClick={() => run('Pausing', () => api.changeStatus(id, 'pause'))}>Pause</button>
        )}
        {owner && c.status === 'paused' && (
          <button onClick={() => run('Resuming', () => api.changeStatus(id, 'resume'))}>Resume</button>
        )}
        {owner && c.status !== 'completed' && (
          <button className="ghost" onClick={() => run('Completing', () => api.changeStatus(id, 'complete'))}>
            Complete
          </button>
        )}
        {session.roles.includes('influencer') && !me && c.status === 'active' && (
          <button onClick={() => run('Accepting the campaign', () => api.accept(id))}>Accept the terms and join</button>
        )}
        {session.roles.includes('influencer') && me === 'invited' && (
          <button onClick={() => run('Accepting the invitation', () => api.accept(id))}>Accept the invitation</button>
        )}
        {me === 'accepted' && <button onClick={makeLink}>Make a tracking link</button>}
      </div>
      {link && (
        <div className="link">
          <code data-testid="tracking-link">{link}</code>
          <button onClick={copy}>{copied ? 'Copied' : 'Copy'}</button>
        </div>
      )}
      <ErrorNote error={error} />
      {started && (
        <Timeline key={started.correlationId} api={api} correlationId={started.correlationId} title={started.title} />
      )}
      {owner && (
        <>
          <h3>Influencers</h3>
          {(c.influencers ?? []).length === 0 ? (
            <Empty>
              Nobody has joined yet. Invite influencers by id below
              {c.visibility === 'open' ? ', or let them find this open campaign' : ''}.
            </Empty>
          ) : (
            <ul className="plain">
              {(c.influencers ?? []).map((i) => (
                <li key={i.influencerId}>
                  {i.influencerId} <Pill status={i.status} />
                </li>
              ))}
              {c.influencersNextCursor && <li>… and more (the first 100 are shown)</li>}
            </ul>
          )}
          <form
            className="row"
            onSubmit={(e) => {
              e.preventDefault();
              void run('Inviting', () => api.invite(id, invitees.split(/[\s,]+/).filter(Boolean)));
            }}
          >
            <input
              aria-label="influencer ids to invite"
              value={invitees}
              onChange={(e) => setInvitees(e.target.value)}
              placeholder="influencer ids, comma separated"
            />
            <button type="submit" disabled={!invitees.trim()}>
              Invite
            </button>
          </form>
          <div className="heading">
            <h3>Performance</h3>
            <button className="ghost" onClick={refresh}>
              Refresh
            </button>
          </div>
          <ErrorNote error={stats.error} />
          {stats.data && <StatsCharts stats={stats.data} />}
          <CommissionTable api={api} campaignId={id} version={version} />
        </>
      )}
    </section>
  );
}
