import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, type Api, type Operation } from './api';

/** Loads on mount and whenever `deps` change; `reload` refetches. Errors are kept for the page to show. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]) {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string>();
  const [loading, setLoading] = useState(true);
  const run = useCallback(load, deps);
  const reload = useCallback(() => {
    setLoading(true);
    run()
      .then((value) => {
        setData(value);
        setError(undefined);
      })
      .catch((e: unknown) => setError(messageOf(e)))
      .finally(() => setLoading(false));
  }, [run]);
  useEffect(reload, [reload]);
  return { data, error, loading, reload };
}

export function messageOf(error: unknown): string {
  if (error instanceof ApiError) {
    const details = error.problem.errors?.map((e) => `${e.path || 'body'}: ${e.message}`).join('; ');
    return [error.problem.title, error.problem.detail, details].filter(Boolean).join(' — ');
  }
  return error instanceof Error ? error.message : String(error);
}

/** The current hash route, e.g. `#/campaigns/abc` → ['campaigns', 'abc']. */
export function useRoute(): string[] {
  const [hash, setHash] = useState(window.location.hash);
  useEffect(() => {
    const onChange = () => setHash(window.location.hash);
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
}

export const go = (...parts: string[]) => {
  window.location.hash = `#/${parts.map(encodeURIComponent).join('/')}`;
};

/** What a command started: its flow shown live under the form or button that sent it. */
export type Started = { correlationId: string; title: string } | undefined;

const POLL_MS = 400;
/** After the command's own outcome, later consequences (a ledger entry, a budget release) keep arriving for a while. */
const FOLLOW_MS = 8000;

/**
 * One operation, live: polled until it settles and a little after (its later steps). `onSettled` is
 * called once, when it leaves pending: the moment the read models hold its outcome, so the page that
 * started it reloads then, not on a timer.
 */
export function useOperation(api: Api, correlationId: string, onSettled?: (op: Operation) => void) {
  const [op, setOp] = useState<Operation>();
  const [error, setError] = useState<string>();
  const [following, setFollowing] = useState(true);
  const settled = useRef(onSettled);
  settled.current = onSettled;
  useEffect(() => {
    let stopped = false;
    let settledAt: number | undefined;
    const startedAt = Date.now();
    const tick = async () => {
      try {
        const next = await api.operation(correlationId);
        if (stopped) return;
        setOp(next);
        setError(undefined);
        if (next.status !== 'pending' && settledAt === undefined) {
          settledAt = Date.now();
          settled.current?.(next);
        }
      } catch (e) {
        if (!stopped) setError(messageOf(e));
      }
      const done = (settledAt !== undefined && Date.now() - settledAt > FOLLOW_MS) || Date.now() - startedAt > 120_000;
      if (done) setFollowing(false);
      else if (!stopped) setTimeout(tick, POLL_MS);
    };
    void tick();
    return () => {
      stopped = true;
    };
  }, [api, correlationId]);
  return { op, error, following };
}
