import { useCallback, useEffect, useState } from 'react';
import { ApiError } from './api';

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
