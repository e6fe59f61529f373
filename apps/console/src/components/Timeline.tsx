import type { Api, Operation } from '../api';
import { useOperation, type Started } from '../hooks';

const SERVICES = ['bff', 'campaign', 'tracking', 'commission', 'payment'];

/** One flow, live: every message of the correlation id, which service sent it, and when. */
export function Timeline({
  api,
  correlationId,
  title,
  onSettled,
}: {
  api: Api;
  correlationId: string;
  title?: string;
  /** called once when the operation settles: where a page reloads what the command changed */
  onSettled?: (op: Operation) => void;
}) {
  const { op, error, following } = useOperation(api, correlationId, onSettled);

  const steps = op?.steps ?? [];
  const t0 = steps.length ? Math.min(...steps.map((s) => Date.parse(s.occurredAt))) : 0;
  const span = Math.max(1, ...steps.map((s) => Date.parse(s.occurredAt) - t0));
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
            <li key={s.messageId} className={`step ${s.kind}`} style={{ marginLeft: `${s.depth * 14}px` }}>
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

/** The timeline of the command a page last started, if any: a new command starts a new timeline. */
export function StartedTimeline({
  api,
  started,
  onSettled,
}: {
  api: Api;
  started: Started;
  onSettled?: (op: Operation) => void;
}) {
  if (!started) return null;
  return (
    <Timeline
      key={started.correlationId}
      api={api}
      correlationId={started.correlationId}
      title={started.title}
      onSettled={onSettled}
    />
  );
}
