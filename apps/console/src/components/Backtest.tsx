import { useEffect, useState } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import {
  formatMoney,
  type Api,
  type Campaign,
  type Simulation,
  type SimulationColumn,
  type SimulationRequest,
} from '../api';
import { ErrorNote } from './ui';
import { messageOf } from '../hooks';

/** A rule as the panel edits it: one value field, the rate or the amount. */
interface RuleRow {
  event: 'conversion' | 'click' | 'lead';
  type: 'percent' | 'fixed';
  value: string;
}

const rowOf = (r: Campaign['commissionRules'][number]): RuleRow => ({
  event: r.event === 'impression' ? 'click' : (r.event as RuleRow['event']),
  type: r.type === 'percent' ? 'percent' : 'fixed',
  value: r.rate ?? r.amount?.amount ?? '',
});

const ruleOf = (r: RuleRow, currency: string): SimulationRequest['commissionRules'][number] =>
  r.type === 'percent'
    ? { event: 'conversion', type: 'percent', rate: r.value }
    : { event: r.event, type: 'fixed', amount: { amount: r.value, currency } };

const DAY = 86_400_000;

/**
 * "Try new terms": the campaign's rules, editable, run as a backtest over its retained events
 * (POST /simulations); the proposed column beside what was actually paid, and a chart per day.
 */
export function Backtest({ api, campaign }: { api: Api; campaign: Campaign }) {
  const [rules, setRules] = useState<RuleRow[]>(() =>
    campaign.commissionRules.filter((r) => r.event !== 'impression').map(rowOf),
  );
  const [windowDays, setWindowDays] = useState(String(campaign.attributionWindowDays));
  const [model, setModel] = useState(campaign.attributionModel);
  const [days, setDays] = useState('30');
  const [sim, setSim] = useState<Simulation & { id: string }>();
  const [error, setError] = useState<string>();

  // While it runs: its progress, every half second.
  useEffect(() => {
    if (!sim || sim.status !== 'running') return;
    const timer = setTimeout(() => {
      api
        .simulation(campaign.id, sim.id)
        .then((next) => setSim({ ...next, id: sim.id }))
        .catch((e: unknown) => setError(messageOf(e)));
    }, 500);
    return () => clearTimeout(timer);
  }, [api, campaign.id, sim]);

  const start = async () => {
    setError(undefined);
    try {
      const to = new Date();
      const body: SimulationRequest = {
        commissionRules: rules.map((r) => ruleOf(r, campaign.budget.currency)),
        attributionWindowDays: Number(windowDays),
        attributionModel: model,
        from: new Date(to.getTime() - Number(days) * DAY).toISOString(),
        to: to.toISOString(),
      };
      const accepted = await api.startSimulation(campaign.id, body);
      setSim({ ...(await api.simulation(campaign.id, accepted.id)), id: accepted.id });
    } catch (e) {
      setError(messageOf(e));
    }
  };
  const cancel = async () => {
    if (!sim) return;
    setSim({ ...(await api.cancelSimulation(campaign.id, sim.id)), id: sim.id });
  };
  const set = (i: number, change: Partial<RuleRow>) =>
    setRules(
      rules.map((r, k) =>
        k === i ? { ...r, ...change, ...(change.type === 'percent' ? { event: 'conversion' } : {}) } : r,
      ),
    );

  return (
    <section className="backtest" aria-label="try new terms">
      <h3>Try new terms</h3>
      <p className="muted">
        What these terms would have paid over the campaign’s retained events, decided by the same rules that pay.
        Nothing is changed.
      </p>
      {rules.map((r, i) => (
        <div className="row" key={i}>
          <select
            aria-label={`proposed rule ${i + 1} event`}
            value={r.event}
            disabled={r.type === 'percent'}
            onChange={(e) => set(i, { event: e.target.value as RuleRow['event'] })}
          >
            <option value="conversion">conversion</option>
            <option value="lead">lead</option>
            <option value="click">click</option>
          </select>
          <select
            aria-label={`proposed rule ${i + 1} type`}
            value={r.type}
            onChange={(e) => set(i, { type: e.target.value as RuleRow['type'] })}
          >
            <option value="percent">percent</option>
            <option value="fixed">fixed</option>
          </select>
          <input
            aria-label={`proposed rule ${i + 1} ${r.type === 'percent' ? 'rate' : 'amount'}`}
            value={r.value}
            inputMode="decimal"
            onChange={(e) => set(i, { value: e.target.value })}
          />
          <span className="muted">{r.type === 'percent' ? '%' : campaign.budget.currency}</span>
          <button
            className="ghost"
            onClick={() => setRules(rules.filter((_, k) => k !== i))}
            disabled={rules.length === 1}
          >
            Remove
          </button>
        </div>
      ))}
      <div className="row">
        <button
          className="ghost"
          onClick={() => setRules([...rules, { event: 'click', type: 'fixed', value: '0.10' }])}
        >
          Add a rule
        </button>
        <label>
          Window (days)
          <input
            aria-label="attribution window days"
            value={windowDays}
            onChange={(e) => setWindowDays(e.target.value)}
            inputMode="numeric"
          />
        </label>
        <label>
          Model
          <select
            aria-label="attribution model"
            value={model}
            onChange={(e) => setModel(e.target.value as typeof model)}
          >
            <option value="last_click">last click</option>
            <option value="first_click">first click</option>
          </select>
        </label>
        <label>
          Over the last (days)
          <input
            aria-label="days of history"
            value={days}
            onChange={(e) => setDays(e.target.value)}
            inputMode="numeric"
          />
        </label>
        <button onClick={() => void start()} disabled={sim?.status === 'running'}>
          Run
        </button>
        {sim?.status === 'running' && (
          <button className="ghost" onClick={() => void cancel()}>
            Cancel
          </button>
        )}
      </div>
      <ErrorNote error={error ?? sim?.error} />
      {sim?.status === 'running' && <progress value={sim.progress} max={1} aria-label="simulation progress" />}
      {sim?.status === 'cancelled' && <p className="muted">Cancelled.</p>}
      {sim?.status === 'completed' && sim.proposed && sim.actual && (
        <Comparison proposed={sim.proposed} actual={sim.actual} events={sim.events ?? 0} />
      )}
    </section>
  );
}

function Comparison({
  proposed,
  actual,
  events,
}: {
  proposed: SimulationColumn;
  actual: SimulationColumn;
  events: number;
}) {
  const influencers = [
    ...new Set([...proposed.byInfluencer, ...actual.byInfluencer].map((r) => r.influencerId)),
  ].sort();
  const amountOf = (c: SimulationColumn, id: string) => c.byInfluencer.find((r) => r.influencerId === id)?.amount;
  const reasons = [
    ...new Set([...Object.keys(proposed.rejectedByReason), ...Object.keys(actual.rejectedByReason)]),
  ].sort();
  const days = [...new Set([...proposed.byDay, ...actual.byDay].map((d) => d.day))].sort();
  const chart = days.map((day) => ({
    day,
    proposed: Number(proposed.byDay.find((d) => d.day === day)?.amount.amount ?? 0),
    actual: Number(actual.byDay.find((d) => d.day === day)?.amount.amount ?? 0),
  }));
  const when = (at: string | null) => (at ? at.slice(0, 16).replace('T', ' ') : 'never');
  return (
    <div className="comparison">
      <table data-testid="backtest-table">
        <thead>
          <tr>
            <th />
            <th>Proposed</th>
            <th>Actual</th>
          </tr>
        </thead>
        <tbody>
          <tr className="total">
            <td>Would have paid</td>
            <td data-testid="proposed-total">{formatMoney(proposed.total)}</td>
            <td data-testid="actual-total">{formatMoney(actual.total)}</td>
          </tr>
          {influencers.map((id) => (
            <tr key={id}>
              <td>{id}</td>
              <td>{formatMoney(amountOf(proposed, id))}</td>
              <td>{formatMoney(amountOf(actual, id))}</td>
            </tr>
          ))}
          <tr>
            <td>Held for review</td>
            <td>{proposed.held.count}</td>
            <td>{actual.held.count}</td>
          </tr>
          <tr>
            <td>Reversed by refunds</td>
            <td>{proposed.reversed}</td>
            <td>{actual.reversed}</td>
          </tr>
          {reasons.map((reason) => (
            <tr key={reason}>
              <td>Rejected {reason}</td>
              <td>{proposed.rejectedByReason[reason] ?? 0}</td>
              <td>{actual.rejectedByReason[reason] ?? 0}</td>
            </tr>
          ))}
          <tr>
            <td>Budget ran out</td>
            <td data-testid="proposed-exhausted">{when(proposed.budgetExhaustedAt)}</td>
            <td>{when(actual.budgetExhaustedAt)}</td>
          </tr>
        </tbody>
      </table>
      <p className="muted">{events} tracking events decided again.</p>
      <ResponsiveContainer width="100%" height={220}>
        <BarChart data={chart}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="day" fontSize={11} />
          <YAxis fontSize={11} />
          <Tooltip />
          <Legend />
          <Bar dataKey="proposed" name="proposed" fill="#6366f1" />
          <Bar dataKey="actual" name="actual" fill="#94a3b8" />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
