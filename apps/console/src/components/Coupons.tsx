import { useState } from 'react';
import type { Api } from '../api';
import { messageOf, useLoad, type Started } from '../hooks';
import { Empty, ErrorNote, Pill, Table } from './ui';

/**
 * A campaign's coupon codes: the owner's (all of them, with a form to make one for an influencer who
 * accepted, and a button to deactivate), or an influencer's own, which the API alone decides.
 */
export function Coupons({
  api,
  campaignId,
  manage,
  members = [],
  version,
  onStarted,
}: {
  api: Api;
  campaignId: string;
  /** the caller may create and deactivate codes (the campaign's allowedActions says so) */
  manage: boolean;
  /** influencers who accepted: the only ones a code may be made for */
  members?: string[];
  version: number;
  onStarted: (started: Started) => void;
}) {
  const coupons = useLoad(async () => ({ items: await api.coupons(campaignId) }), [api, campaignId, version]);
  const [code, setCode] = useState('');
  const [influencerId, setInfluencerId] = useState('');
  const [error, setError] = useState<string>();
  const chosen = influencerId || members[0] || '';

  const send = async (title: string, command: () => Promise<{ correlationId: string }>) => {
    setError(undefined);
    try {
      const accepted = await command();
      onStarted({ correlationId: accepted.correlationId, title });
    } catch (e) {
      setError(messageOf(e));
    }
  };

  return (
    <div className="coupons">
      <h3>{manage ? 'Coupon codes' : 'Your coupon codes'}</h3>
      <ErrorNote error={coupons.error ?? error} />
      {coupons.data && coupons.data.items.length === 0 ? (
        <Empty>
          {manage
            ? 'No codes yet. A code read out in a video credits its influencer, with or without a click.'
            : 'No codes yet. The brand makes them for you.'}
        </Empty>
      ) : (
        <Table headings={manage ? ['Code', 'Influencer', 'Status', 'Created', ''] : ['Code', 'Status', 'Created']}>
          {coupons.data?.items.map((c) => (
            <tr key={c.code} data-coupon={c.code}>
              <td>
                <code>{c.code}</code>
              </td>
              {manage && <td>{c.influencerId}</td>}
              <td>
                <Pill status={c.status} />
              </td>
              <td>{new Date(c.createdAt).toLocaleString()}</td>
              {manage && (
                <td>
                  {c.status === 'active' && (
                    <button
                      className="ghost"
                      aria-label={`deactivate ${c.code}`}
                      onClick={() => send(`Deactivating ${c.code}`, () => api.deactivateCoupon(campaignId, c.code))}
                    >
                      Deactivate
                    </button>
                  )}
                </td>
              )}
            </tr>
          ))}
        </Table>
      )}
      {manage && (
        <form
          className="row"
          aria-label="new coupon code"
          onSubmit={(e) => {
            e.preventDefault();
            void send(`Creating ${code}`, () => api.createCoupon(campaignId, { code, influencerId: chosen }));
          }}
        >
          <input
            aria-label="coupon code"
            value={code}
            onChange={(e) => setCode(e.target.value)}
            placeholder="MAYA10 (4–32 letters, digits, _ or -)"
          />
          <select aria-label="coupon influencer" value={chosen} onChange={(e) => setInfluencerId(e.target.value)}>
            {members.length === 0 && <option value="">nobody has accepted yet</option>}
            {members.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
          <button type="submit" disabled={!code.trim() || !chosen}>
            Create code
          </button>
        </form>
      )}
    </div>
  );
}
