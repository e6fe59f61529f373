import { type Api, type Session } from '../api';
import { BudgetBar } from '../components/BudgetBar';
import { Empty, ErrorNote, Loading, Pill } from '../components/ui';
import { go, useLoad } from '../hooks';

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
