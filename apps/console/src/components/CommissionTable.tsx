import { useState } from 'react';
import { formatMoney, type Api, type Commission } from '../api';
import { messageOf, useLoad, type Started } from '../hooks';
import { StartedTimeline } from './Timeline';
import { Empty, ErrorNote, Pill, Table } from './ui';

/**
 * Commissions, filtered by status. With `review` (a brand's or admin's review queue), each held one
 * has Approve and Reject (FRAUD, or the brand's own words); the decision's flow shows below.
 */
export function CommissionTable({
  api,
  campaignId,
  influencerId,
  version = 0,
  initialStatus = '',
  review = false,
}: {
  api: Api;
  campaignId?: string;
  influencerId?: string;
  version?: number;
  initialStatus?: string;
  review?: boolean;
}) {
  const [status, setStatus] = useState(initialStatus);
  const [started, setStarted] = useState<Started>();
  const [actionError, setActionError] = useState<string>();
  const [rejectReason, setRejectReason] = useState('FRAUD');
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
            {['', 'pending', 'held', 'approved', 'rejected', 'reversed', 'paid'].map((s) => (
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
      <ErrorNote error={error ?? actionError} />
      {review && (
        <label className="inline">
          Rejection reason{' '}
          <input aria-label="rejection reason" value={rejectReason} onChange={(e) => setRejectReason(e.target.value)} />
        </label>
      )}
      {data && data.items.length === 0 ? (
        <Empty>
          No commissions{status ? ` with status ${status}` : ''} yet. They appear as conversions, clicks and impressions
          earn them.
        </Empty>
      ) : (
        <Table
          headings={['When', 'Influencer', 'Amount', 'Status', 'Attributed by', 'Reason', ...(review ? [''] : [])]}
        >
          {data?.items.map((c) => (
            <tr key={c.id} data-commission={c.id}>
              <td>{new Date(c.createdAt).toLocaleString()}</td>
              <td>{c.influencerId ?? '—'}</td>
              <td>{formatMoney(c.amount)}</td>
              <td>
                <Pill status={c.status} />
              </td>
              <td data-field="attribution">{c.attribution?.replace('_', ' ') ?? ''}</td>
              <td data-field="reason">
                {[c.reason, ...(c.reasons ?? [])].filter(Boolean).join(' · ')}
                {c.status === 'held' && c.reviewBy ? (
                  <small className="muted deadline">
                    approved by itself {new Date(c.reviewBy).toLocaleDateString()}
                  </small>
                ) : null}
              </td>
              {review && (
                <td className="actions">
                  {c.status === 'held' && (
                    <>
                      <button onClick={() => void decide(c, 'approve')}>Approve</button>
                      <button className="ghost" onClick={() => void decide(c, 'reject')}>
                        Reject
                      </button>
                    </>
                  )}
                </td>
              )}
            </tr>
          ))}
        </Table>
      )}
      <StartedTimeline api={api} started={started} onSettled={reload} />
    </div>
  );

  async function decide(c: Commission, decision: 'approve' | 'reject') {
    setActionError(undefined);
    try {
      const accepted =
        decision === 'approve' ? await api.approveCommission(c.id) : await api.rejectCommission(c.id, rejectReason);
      setStarted({ correlationId: accepted.correlationId, title: decision === 'approve' ? 'Approving' : 'Rejecting' });
    } catch (err) {
      setActionError(messageOf(err));
    }
  }
}
