import { useEffect, useState } from 'react';
import type { Api, Operation, Step } from './api';
import { messageOf } from './hooks';

const SERVICES = ['bff', 'campaign', 'tracking', 'commission', 'payment'];
const POLL_MS = 400;
/** After the command's own outcome, later consequences (a ledger entry, a budget release) keep arriving for a while. */
const FOLLOW_MS = 8000;

function depthOf(steps: Step[]): Map<string, number> {
  const byId = new Map(steps.map((s) => [s.messageId, s]));
  const depth = new Map<string, number>();
  const walk = (s: Step): number => {
    const known = depth.get(s.messageId);
    if (known !== undefined) return known;
    const parent = byId.get(s.causationId);
    const d = parent && parent !== s ? walk(parent) + 1 : 0;
    depth.set(s.messageId, d);
    return d;
  };
  steps.forEach(walk);
  return depth;
}

/** One flow, live: every message of the correlation id, which service sent it, and when. */
export function Timeline({ api, correlationId, title }: { api: Api; correlationId: string; title?: string }) {
  const [op, setOp] = useState<Operation>();
  const [error, setError] = useState<string>();
  const [following, setFollowing] = useState(true);

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
        if (next.status !== 'pending') settledAt ??= Date.now();
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

  const steps = op?.steps ?? [];
  const t0 = steps.length ? Math.min(...steps.map((s) => Date.parse(s.occurredAt))) : 0;
  const span = Math.max(1, ...steps.map((s) => Date.parse(s.occurredAt) - t0));
  const depth = depthOf(steps);
  return (
    <section className="timeline" aria-label="operation timeline" data-status={op?.status ?? 'loading'}>
      <header>
        <h3>{title ?? 'Flow'}</h3>
        <span className={`pill ${op?.status ?? 'pending'}`}>
          {op?.status ?? 'loading'}
          {following && op?.status !== 'failed' ? ' · live' : ''}
        </span>
      </header>
      <p className="muted mono">correlation id {correlationId}</p>
      {op?.reason && <p className="error">Reason: {op.reason}</p>}
      {error && <p className="error">{error}</p>}
      <ol>
        {steps.map((s) => {
          const offset = Date.parse(s.occurredAt) - t0;
          return (
            <li
              key={s.messageId}
              className={`step ${s.kind}`}
              style={{ marginLeft: `${(depth.get(s.messageId) ?? 0) * 14}px` }}
            >
              <span className={`service s-${SERVICES.includes(s.service) ? s.service : 'other'}`}>{s.service}</span>
              <span className="type">{s.type.replace(/^\w+\./, '')}</span>
              <span className="kind">{s.kind}</span>
              <span className="bar">
                <span style={{ width: `${Math.max(2, (offset / span) * 100)}%` }} />
              </span>
              <span className="at">+{offset} ms</span>
            </li>
          );
        })}
        {steps.length === 0 && <li className="muted">Waiting for the first message…</li>}
      </ol>
    </section>
  );
}
