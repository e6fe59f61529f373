import { useState } from 'react';
import { formatMoney, type Api, type CampaignAction, type Session } from '../api';
import { Backtest } from '../components/Backtest';
import { BudgetBar } from '../components/BudgetBar';
import { CommissionTable } from '../components/CommissionTable';
import { Coupons } from '../components/Coupons';
import { Customers } from '../components/Customers';
import { Funnel } from '../components/Funnel';
import { StatsCharts } from '../components/StatsCharts';
import { StartedTimeline } from '../components/Timeline';
import { Empty, ErrorNote, Loading, Pill } from '../components/ui';
import { messageOf, useLoad, type Started } from '../hooks';

export function CampaignPage({ api, session, id }: { api: Api; session: Session; id: string }) {
  const campaign = useLoad(() => api.campaign(id), [api, id]);
  const c = campaign.data;
  // What the caller may do comes from the API (allowedActions): the console never works out ownership itself.
  const may = (action: CampaignAction) => c?.allowedActions.includes(action) ?? false;
  const owner = may('viewStats');
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
  const members = (c?.influencers ?? []).filter((i) => i.status === 'accepted').map((i) => i.influencerId);

  const run = async (title: string, send: () => Promise<{ correlationId: string }>) => {
    setError(undefined);
    try {
      const accepted = await send();
      setStarted({ correlationId: accepted.correlationId, title });
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
            {c.landingUrl} · brand {c.brandId} · holding {c.holdingPeriodDays} d ·{' '}
            <span data-testid="attribution-model">{c.attributionModel.replace('_', ' ')}</span> attribution
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
          .map(
            (r) =>
              `${r.event} ${r.type} ${r.rate ? `${r.rate}%` : formatMoney(r.amount)}` +
              (r.customerDurationMonths === undefined ? '' : ` for ${r.customerDurationMonths} months per customer`),
          )
          .join(' · ')}
      </p>
      <div className="actions">
        {may('pause') && <button onClick={() => run('Pausing', () => api.changeStatus(id, 'pause'))}>Pause</button>}
        {may('resume') && <button onClick={() => run('Resuming', () => api.changeStatus(id, 'resume'))}>Resume</button>}
        {may('complete') && (
          <button className="ghost" onClick={() => run('Completing', () => api.changeStatus(id, 'complete'))}>
            Complete
          </button>
        )}
        {may('accept') && me !== 'invited' && (
          <button onClick={() => run('Accepting the campaign', () => api.accept(id))}>Accept the terms and join</button>
        )}
        {may('accept') && me === 'invited' && (
          <button onClick={() => run('Accepting the invitation', () => api.accept(id))}>Accept the invitation</button>
        )}
        {may('createLink') && <button onClick={makeLink}>Make a tracking link</button>}
      </div>
      {link && (
        <div className="link">
          <code data-testid="tracking-link">{link}</code>
          <button onClick={copy}>{copied ? 'Copied' : 'Copy'}</button>
        </div>
      )}
      {me === 'accepted' && !owner && (
        <>
          <Coupons api={api} campaignId={id} manage={false} version={version} onStarted={setStarted} />
          <Customers api={api} campaignId={id} version={version} />
        </>
      )}
      <ErrorNote error={error} />
      <StartedTimeline api={api} started={started} onSettled={refresh} />
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
          {may('invite') && (
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
          )}
          <div className="heading">
            <h3>Performance</h3>
            <button className="ghost" onClick={refresh}>
              Refresh
            </button>
          </div>
          <ErrorNote error={stats.error} />
          {stats.data && <Funnel stats={stats.data} />}
          {stats.data && <StatsCharts stats={stats.data} />}
          <Coupons
            api={api}
            campaignId={id}
            manage={may('createCoupon')}
            members={members}
            version={version}
            onStarted={setStarted}
          />
          <Customers api={api} campaignId={id} version={version} />
          <CommissionTable api={api} campaignId={id} version={version} />
          <Backtest api={api} campaign={c} />
        </>
      )}
    </section>
  );
}
