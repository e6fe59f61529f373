import { Bar, BarChart, CartesianGrid, LabelList, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { Stats } from '../api';

/** The partner funnel, widest step first: clicks → leads → customers → sales. */
export function Funnel({ stats }: { stats: Stats }) {
  const steps = [
    { step: 'Clicks', key: 'clicks', count: stats.clicks },
    { step: 'Leads', key: 'leads', count: stats.leads },
    { step: 'Customers', key: 'customers', count: stats.customers },
    { step: 'Sales', key: 'sales', count: stats.conversions },
  ];
  return (
    <div className="funnel" aria-label="funnel" role="figure">
      <h3>Funnel</h3>
      <ol className="funnel-steps">
        {steps.map((s, i) => (
          <li key={s.key} data-funnel={s.key}>
            {s.step} <strong>{s.count}</strong>
            {i > 0 && <small> {rate(s.count, steps[i - 1]?.count ?? 0)} of the step before</small>}
          </li>
        ))}
        <li data-funnel="lead-to-sale">
          Leads who bought <strong>{Math.round(stats.leadToSaleRate * 100)}%</strong>
        </li>
      </ol>
      <ResponsiveContainer width="100%" height={180}>
        <BarChart data={steps} layout="vertical" margin={{ left: 24, right: 48 }}>
          <CartesianGrid strokeDasharray="3 3" horizontal={false} />
          <XAxis type="number" allowDecimals={false} fontSize={11} />
          <YAxis type="category" dataKey="step" fontSize={12} width={80} />
          <Tooltip />
          <Bar dataKey="count" fill="#6366f1">
            <LabelList dataKey="count" position="right" fontSize={12} />
          </Bar>
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

const rate = (n: number, of: number) => (of === 0 ? '—' : `${Math.round((n / of) * 100)}%`);
