import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { Api, devSignIn, devSignInAvailable, sessionOf, type Role, type Session } from './api';
import { Admin } from './Admin';
import { CampaignList, CampaignPage, CommissionTable, NewCampaign } from './Campaigns';
import { go, messageOf, useRoute } from './hooks';
import { Earnings } from './Money';
import { Timeline } from './Timeline';
import { ErrorNote } from './ui';

const STORAGE_KEY = 'beacon.token';

function SignIn({ onToken }: { onToken: (token: string) => void }) {
  const [dev, setDev] = useState(false);
  const [role, setRole] = useState<Role>('brand');
  const [sub, setSub] = useState('brand-1');
  const [pasted, setPasted] = useState('');
  const [error, setError] = useState<string>();
  useEffect(() => void devSignInAvailable().then(setDev), []);

  const signInDev = async (e: FormEvent) => {
    e.preventDefault();
    try {
      const token = await devSignIn({ role, sub });
      if (token) onToken(token);
      else
        setError(
          'Development sign-in is off: this BFF does not run with the development secret. Paste a token instead.',
        );
    } catch (err) {
      setError(messageOf(err));
    }
  };
  const usePasted = (e: FormEvent) => {
    e.preventDefault();
    try {
      sessionOf(pasted.trim());
      onToken(pasted.trim());
    } catch (err) {
      setError(messageOf(err));
    }
  };
  return (
    <main className="signin">
      <h1>
        <span className="logo">◉</span> Beacon
      </h1>
      <p className="muted">
        Campaigns, tracking, commissions and payouts — and how every request travelled through the fleet.
      </p>
      {dev && (
        <form className="form" onSubmit={signInDev} aria-label="development sign-in">
          <h2>Development sign-in</h2>
          <div className="row">
            <label>
              Role
              <select
                value={role}
                onChange={(e) => {
                  const r = e.target.value as Role;
                  setRole(r);
                  setSub(`${r}-1`);
                }}
              >
                <option value="brand">brand</option>
                <option value="influencer">influencer</option>
                <option value="admin">admin</option>
              </select>
            </label>
            <label>
              Id
              <input value={sub} onChange={(e) => setSub(e.target.value)} />
            </label>
          </div>
          <button type="submit">Sign in as {role}</button>
        </form>
      )}
      <form className="form" onSubmit={usePasted} aria-label="token sign-in">
        <h2>{dev ? 'Or paste a token' : 'Sign in with a token'}</h2>
        <textarea value={pasted} onChange={(e) => setPasted(e.target.value)} rows={3} placeholder="eyJhbGciOi…" />
        <button type="submit" disabled={!pasted.trim()}>
          Use this token
        </button>
      </form>
      <ErrorNote error={error} />
    </main>
  );
}

export function App() {
  const [token, setToken] = useState(() => localStorage.getItem(STORAGE_KEY) ?? '');
  const session: Session | undefined = useMemo(() => {
    try {
      return token ? sessionOf(token) : undefined;
    } catch {
      return undefined;
    }
  }, [token]);
  const api = useMemo(() => (session ? new Api(session) : undefined), [session]);
  const route = useRoute();

  if (!session || !api) {
    return (
      <SignIn
        onToken={(t) => {
          localStorage.setItem(STORAGE_KEY, t);
          setToken(t);
          go('campaigns');
        }}
      />
    );
  }
  const signOut = () => {
    localStorage.removeItem(STORAGE_KEY);
    setToken('');
  };
  const is = (role: Role) => session.roles.includes(role);
  const [section, id] = route;
  let page;
  if (section === 'campaigns' && id === 'new') page = <NewCampaign api={api} />;
  else if (section === 'campaigns' && id) page = <CampaignPage key={id} api={api} session={session} id={id} />;
  else if (section === 'earnings') page = <Earnings api={api} session={session} />;
  else if (section === 'commissions')
    page = (
      <section>
        <h2>Commissions</h2>
        <CommissionTable api={api} />
      </section>
    );
  else if (section === 'admin' && is('admin')) page = <Admin api={api} />;
  else if (section === 'flows' && id)
    page = (
      <section>
        <h2>Flow</h2>
        <Timeline key={id} api={api} correlationId={id} />
      </section>
    );
  else page = <CampaignList api={api} session={session} />;

  return (
    <div className="shell">
      <header className="top">
        <a className="brand" href="#/campaigns">
          <span className="logo">◉</span> Beacon
        </a>
        <nav>
          <a href="#/campaigns" className={section === 'campaigns' || !section ? 'active' : ''}>
            Campaigns
          </a>
          {(is('brand') || is('admin')) && (
            <a href="#/commissions" className={section === 'commissions' ? 'active' : ''}>
              Commissions
            </a>
          )}
          {(is('influencer') || is('admin')) && (
            <a href="#/earnings" className={section === 'earnings' ? 'active' : ''}>
              Earnings
            </a>
          )}
          {is('admin') && (
            <a href="#/admin" className={section === 'admin' ? 'active' : ''}>
              Dead letters
            </a>
          )}
        </nav>
        <div className="who">
          <span className="muted">
            {session.roles.join(', ')} · <strong>{session.sub}</strong>
          </span>
          <button className="ghost" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main>{page}</main>
    </div>
  );
}
