import { useMemo, useState } from 'react';
import { Api, sessionOf, type Session } from './api';
import { go, useRoute } from './hooks';
import { SignIn } from './pages/SignIn';
import { NAV, pageFor } from './routes';

const STORAGE_KEY = 'beacon.token';

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
  const [section, id] = route;
  const page = pageFor(section, { api, session, id });

  return (
    <div className="shell">
      <header className="top">
        <a className="brand" href="#/campaigns">
          <span className="logo">◉</span> Beacon
        </a>
        <nav>
          {NAV.filter((n) => n.shown(session)).map((n) => (
            <a
              key={n.section}
              href={`#/${n.section}`}
              className={section === n.section || (!section && n.section === 'campaigns') ? 'active' : ''}
            >
              {n.label}
            </a>
          ))}
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
