import type { Api } from '../api';
import { Empty, ErrorNote, Loading, Table } from '../components/ui';
import { useLoad } from '../hooks';

/** Admin: the fleet's dead-letter topics and how many messages each holds. */
export function Admin({ api }: { api: Api }) {
  const { data, error, loading, reload } = useLoad(() => api.deadLetters(), [api]);
  const total = data?.topics.reduce((sum, t) => sum + t.count, 0) ?? 0;
  return (
    <section>
      <div className="heading">
        <h2>Dead letters</h2>
        <button className="ghost" onClick={reload}>
          Refresh
        </button>
      </div>
      <p className="muted">
        A message no handler could take after ten deliveries lands in its dead-letter topic, and its flow is marked
        failed. Re-drive with <code>npm run dlq -- redrive &lt;topic&gt; &lt;subscription&gt;</code> once the cause is
        fixed.
      </p>
      {loading && !data && <Loading what="dead-letter topics" />}
      <ErrorNote error={error} />
      {data && total === 0 && <Empty>No dead letters: every message found a handler.</Empty>}
      {data && (
        <Table headings={['Topic', 'Consumer', 'Dead-lettered', 'Latest']}>
          {data.topics.map((t) => (
            <tr key={`${t.topic}-${t.service}`} className={t.count > 0 ? 'warn' : ''}>
              <td className="mono">{t.topic}</td>
              <td>{t.service}</td>
              <td>{t.count}</td>
              <td>
                {t.latest.slice(0, 3).map((l) => (
                  <div key={l.messageId} className="mono" title={l.correlationId}>
                    {l.messageType} · {new Date(l.seenAt).toLocaleString()} ·{' '}
                    <a href={`#/flows/${encodeURIComponent(l.correlationId)}`}>flow</a>
                  </div>
                ))}
              </td>
            </tr>
          ))}
        </Table>
      )}
    </section>
  );
}
