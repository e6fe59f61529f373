/**
 * A brand's or influencer's webhook endpoints: register one (its secret shown once), send a test,
 * read each endpoint's delivery log, redeliver a finished delivery, delete an endpoint.
 */
import { useState, type FormEvent } from 'react';
import { INFLUENCER_EVENT_TYPES, WEBHOOK_EVENT_TYPES } from '@beacon/domain/webhook-types';
import type { Api, Schemas, Session } from '../api';
import { StartedTimeline } from '../components/Timeline';
import { Empty, ErrorNote, Pill, Table } from '../components/ui';
import { messageOf, useLoad, type Started } from '../hooks';

type EventType = Schemas['WebhookRequest']['events'][number];
// The brand may subscribe to every type, an influencer to its own commissions and payouts (the BFF checks it).
const typesFor = (session: Session): readonly EventType[] =>
  session.roles.includes('brand') ? WEBHOOK_EVENT_TYPES : INFLUENCER_EVENT_TYPES.filter((t) => t !== 'webhook.test');

export function Webhooks({ api, session }: { api: Api; session: Session }) {
  const list = useLoad(async () => ({ items: await api.webhooks() }), [api]);
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<EventType[]>(['commission.approved']);
  const [secret, setSecret] = useState<string>();
  const [error, setError] = useState<string>();
  const [started, setStarted] = useState<Started>();
  const [open, setOpen] = useState<string>();

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    try {
      const created = await api.createWebhook({ url, events });
      setSecret(created.secret);
      setUrl('');
      list.reload();
    } catch (err) {
      setError(messageOf(err));
    }
  };
  const act = async (title: string, run: () => Promise<{ correlationId: string }>) => {
    setError(undefined);
    try {
      setStarted({ correlationId: (await run()).correlationId, title });
    } catch (err) {
      setError(messageOf(err));
    }
  };

  return (
    <section className="webhooks">
      <div className="heading">
        <h2>Webhooks</h2>
        <button className="ghost" onClick={list.reload}>
          Refresh
        </button>
      </div>
      <form aria-label="new webhook" onSubmit={(e) => void create(e)} className="card">
        <label className="form-field">
          Endpoint URL <input aria-label="endpoint url" value={url} onChange={(e) => setUrl(e.target.value)} required />
        </label>
        <fieldset className="event-types">
          <legend>Events</legend>
          {typesFor(session).map((t) => (
            <label key={t} className="inline">
              <input
                type="checkbox"
                checked={events.includes(t)}
                onChange={(e) => setEvents(e.target.checked ? [...events, t] : events.filter((x) => x !== t))}
              />{' '}
              {t}
            </label>
          ))}
        </fieldset>
        <button type="submit">Add endpoint</button>
      </form>
      {secret && (
        <p className="notice" data-testid="webhook-secret-note">
          Signing secret, shown this once — keep it where your receiver can read it:{' '}
          <code data-testid="webhook-secret">{secret}</code>
        </p>
      )}
      <ErrorNote error={error ?? list.error} />
      <StartedTimeline api={api} started={started} onSettled={list.reload} />
      {list.data && list.data.items.length === 0 ? (
        <Empty>No endpoints yet. Add one to hear of commissions and payouts as they happen.</Empty>
      ) : (
        <Table headings={['URL', 'Events', 'Status', '']}>
          {list.data?.items.map((w) => (
            <tr key={w.id} data-webhook={w.id}>
              <td>{w.url}</td>
              <td>{w.events.join(', ')}</td>
              <td>
                <Pill status={w.status} />
                {w.disabledReason ? <span className="muted"> {w.disabledReason}</span> : null}
              </td>
              <td className="actions">
                <button onClick={() => void act('Sending a test', () => api.testWebhook(w.id))}>Send test</button>
                <button className="ghost" onClick={() => setOpen(open === w.id ? undefined : w.id)}>
                  Deliveries
                </button>
                <button className="ghost" onClick={() => void act('Deleting', () => api.deleteWebhook(w.id))}>
                  Delete
                </button>
              </td>
            </tr>
          ))}
        </Table>
      )}
      {open && <Deliveries api={api} webhookId={open} onRedeliver={(run) => void act('Redelivering', run)} />}
    </section>
  );
}

function Deliveries({
  api,
  webhookId,
  onRedeliver,
}: {
  api: Api;
  webhookId: string;
  onRedeliver: (run: () => Promise<{ correlationId: string }>) => void;
}) {
  const log = useLoad(async () => ({ items: await api.deliveries(webhookId) }), [api, webhookId]);
  return (
    <div className="deliveries">
      <div className="heading">
        <h3>Delivery log</h3>
        <button className="ghost" onClick={log.reload}>
          Refresh
        </button>
      </div>
      <ErrorNote error={log.error} />
      {log.data && log.data.items.length === 0 ? (
        <Empty>Nothing delivered yet.</Empty>
      ) : (
        <Table headings={['Type', 'Status', 'Attempts', 'Last answer', 'Latency', 'Next retry', 'Response', '']}>
          {log.data?.items.map((d) => (
            <tr key={d.id} data-delivery={d.id}>
              <td>{d.type}</td>
              <td>
                <Pill status={d.status} />
              </td>
              <td data-field="attempts">{d.attempts}</td>
              <td>{d.lastStatusCode ?? d.lastError ?? ''}</td>
              <td>{d.lastLatencyMs !== undefined ? `${d.lastLatencyMs} ms` : ''}</td>
              <td>{d.nextAttemptAt ? new Date(d.nextAttemptAt).toLocaleTimeString() : ''}</td>
              <td>
                <code>{d.responseSnippet ?? ''}</code>
              </td>
              <td>
                {d.status !== 'pending' && (
                  <button className="ghost" onClick={() => onRedeliver(() => api.redeliver(webhookId, d.id))}>
                    Redeliver
                  </button>
                )}
              </td>
            </tr>
          ))}
        </Table>
      )}
    </div>
  );
}
