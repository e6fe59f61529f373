import { useState } from 'react';
import { formatMoney, type Api, type Commission } from '../api';
import { useLoad } from '../hooks';
import { Empty, ErrorNote, Pill, Table } from './ui';

export function CommissionTable({
  api,
  campaignId,
  influencerId,
  version = 0,
}: {
  api: Api;
  campaignId?: string;
  influencerId?: string;
  version?: number;
}) {
  const [status, setStatus] = useState('');
  const { data, error, reload } = useLoad(
    async () => ({
      items: await api.commissions({ campaignId, influencerId, status: status as Commission['status'] | undefined }),
    }),
    [api, campaignId, influencerId, status, version],
  );
  return (
    <div>
      <div className="heading">
        <h3>Commissions</h3>
        <div className="actions">
          <select aria-label="commission status" value={status} onChange={(e) => setStatus(e.target.value)}>
            {['', 'pending', 'approved', 'rejected', 'reversed', 'paid'].map((s) => (
              <option key={s} value={s}>
                {s || 'any status'}
              </option>
            ))}
          </select>
          <button className="ghost" onClick={reload}>
            Refresh
          </button>
        </div>
      </div>
      <ErrorNote error={error} />
      {data && data.items.length === 0 ? (
        <Empty>
          No commissions{status ? ` with status ${status}` : ''} yet. They appear as conversions, clicks and impressions
          earn them.
        </Empty>
      ) : (
        <Table headings={['When', 'Influencer', 'Amount', 'Status', 'Attributed by', 'Reason']}>
          {data?.items.map((c) => (
            <tr key={c.id}>
              <td>{new Date(c.createdAt).toLocaleString()}</td>
              <td>{c.influencerId ?? '—'}</td>
              <td>{formatMoney(c.amount)}</td>
              <td>
                <Pill status={c.status} />
              </td>
              <td data-field="attribution">{c.attribution?.replace('_', ' ') ?? ''}</td>
              <td>{c.reason ?? ''}</td>
            </tr>
          ))}
        </Table>
      )}
    </div>
  );
}
