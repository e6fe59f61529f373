import { useEffect, useState, type FormEvent } from 'react';
import { devSignIn, devSignInAvailable, sessionOf, type Role } from '../api';
import { ErrorNote } from '../components/ui';
import { messageOf } from '../hooks';

/** Development sign-in (where the BFF offers it) or a pasted token. */
export function SignIn({ onToken }: { onToken: (token: string) => void }) {
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
