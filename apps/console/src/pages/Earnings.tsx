import { useState, type FormEvent } from 'react';
import { formatMoney, type Api, type Session } from '../api';
import { CommissionTable } from '../components/CommissionTable';
import { Customers } from '../components/Customers';
import { StartedTimeline } from '../components/Timeline';
import { Empty, ErrorNote, MoneyFields, Choice, Table, Pill } from '../components/ui';
import { messageOf, useLoad, type Started } from '../hooks';

type Method = 'paypal' | 'bank_transfer';
const METHODS: Array<[Method, string]> = [
  ['paypal', 'PayPal'],
  ['bank_transfer', 'bank transfer'],
];

export function Earnings({ api, session }: { api: Api; session: Session }) {
  const balance = useLoad(() => api.balance(), [api]);
  const payouts = useLoad(async () => ({ items: await api.payouts() }), [api]);
  const [amount, setAmount] = useState('');
  const [currency, setCurrency] = useState('USD');
  const [method, setMethod] = useState<Method>('paypal');
  const [destination, setDestination] = useState('');
  const [error, setError] = useState<string>();
  const [started, setStarted] = useState<Started>();
  const [version, setVersion] = useState(0);

  const request = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    try {
      const accepted = await api.requestPayout({ amount: { amount, currency }, method, destination });
      setStarted({ correlationId: accepted.correlationId, title: 'Paying out' });
    } catch (err) {
      setError(messageOf(err));
    }
  };

  return (
    <section>
      <div className="heading">
        <h2>Earnings</h2>
        <button
          className="ghost"
          onClick={() => {
            balance.reload();
            payouts.reload();
            setVersion((v) => v + 1);
          }}
        >
          Refresh
        </button>
      </div>
      <ErrorNote error={balance.error} />
      {balance.data && balance.data.balances.length === 0 && (
        <Empty>No earnings yet. Join a campaign, share your link, and commissions will show here.</Empty>
      )}
      <div className="kpis">
        {balance.data?.balances.map((b) => (
          <div key={b.currency} className="balance" data-currency={b.currency}>
            <span>{b.currency}</span>
            <strong data-testid={`available-${b.currency}`}>{formatMoney(b.available)}</strong>
            <small>
              pending {formatMoney(b.pending)} · paid out {formatMoney(b.paidOut)}
            </small>
          </div>
        ))}
      </div>
      <h3>Request a payout</h3>
      <form className="form" onSubmit={request}>
        <MoneyFields
          label="Amount"
          amount={amount}
          currency={currency}
          onAmount={setAmount}
          onCurrency={setCurrency}
          placeholder="25.00"
        />
        <div className="row">
          <Choice label="Method" value={method} options={METHODS} onChange={setMethod} />
          <label>
            Destination
            <input
              value={destination}
              onChange={(e) => setDestination(e.target.value)}
              placeholder={method === 'paypal' ? 'you@example.com' : 'IBAN'}
            />
          </label>
        </div>
        <ErrorNote error={error} />
        <button type="submit">Request payout</button>
      </form>
      <StartedTimeline
        api={api}
        started={started}
        onSettled={() => {
          balance.reload();
          payouts.reload();
        }}
      />
      <h3>Payouts</h3>
      <ErrorNote error={payouts.error} />
      {payouts.data && payouts.data.items.length === 0 ? (
        <Empty>No payouts yet.</Empty>
      ) : (
        <Table headings={['Requested', 'Amount', 'Method', 'Status', 'Reason']}>
          {payouts.data?.items.map((p) => (
            <tr key={p.id} data-payout={p.id}>
              <td>{new Date(p.createdAt).toLocaleString()}</td>
              <td>{formatMoney(p.amount)}</td>
              <td>{p.method}</td>
              <td>
                <Pill status={p.status} />
              </td>
              <td>{p.reason ?? ''}</td>
            </tr>
          ))}
        </Table>
      )}
      {session.roles.includes('influencer') && <Customers api={api} version={version} />}
      <CommissionTable api={api} influencerId={session.roles.includes('admin') ? undefined : session.sub} />
    </section>
  );
}
