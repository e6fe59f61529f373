import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { formatMoney, type Stats } from '../api';
import { Empty } from './ui';

/** Grid, axes, tooltip and legend, as an array: recharts reads a chart's parts from its direct children. */
const chartFrame = (xKey: string, counts = false) => [
  <CartesianGrid key="grid" strokeDasharray="3 3" />,
  <XAxis key="x" dataKey={xKey} fontSize={11} />,
  <YAxis key="y" fontSize={11} allowDecimals={!counts} />,
  <Tooltip key="tooltip" />,
  <Legend key="legend" />,
];

export function StatsCharts({ stats }: { stats: Stats }) {
  const byDay = stats.byDay.map((d) => ({
    day: d.day,
    impressions: d.impressions,
    clicks: d.clicks,
    conversions: d.conversions,
    leads: d.leads,
    revenue: Number(d.revenue.amount),
    commissions: Number(d.commissions.amount),
  }));
  const byWindow = (stats.byWindow ?? []).map((w) => ({
    window: w.windowStart.slice(5, 16).replace('T', ' '),
    impressions: w.impressions,
    clicks: w.clicks,
    conversions: w.conversions,
    revenue: Number(w.revenue.amount),
  }));
  return (
    <div className="charts">
      <div className="kpis">
        {[
          ['Impressions', 'impressions', stats.impressions],
          ['Clicks', 'clicks', stats.clicks],
          ['Leads', 'leads', stats.leads],
          ['Customers', 'customers', stats.customers],
          ['Conversions', 'conversions', stats.conversions],
          ['Revenue', 'revenue', formatMoney(stats.revenue)],
          ['Commissions', 'commissions', formatMoney(stats.commissions)],
          ['Invalid events', 'invalid-events', stats.invalidEvents],
        ].map(([label, kpi, value]) => (
          <div key={kpi}>
            <span>{label}</span>
            <strong data-kpi={kpi}>{value}</strong>
          </div>
        ))}
      </div>
      <h3>Per 4-hour window</h3>
      {byWindow.length === 0 ? (
        <Empty>No events yet. Share a tracking link or send events to see them here.</Empty>
      ) : (
        <ResponsiveContainer width="100%" height={220}>
          <BarChart data={byWindow}>
            {chartFrame('window', true)}
            <Bar dataKey="impressions" fill="#94a3b8" />
            <Bar dataKey="clicks" fill="#6366f1" />
            <Bar dataKey="conversions" fill="#16a34a" />
          </BarChart>
        </ResponsiveContainer>
      )}
      <h3>Per day</h3>
      {byDay.length === 0 ? (
        <Empty>No figures yet.</Empty>
      ) : (
        <ResponsiveContainer width="100%" height={220}>
          <LineChart data={byDay}>
            {chartFrame('day')}
            <Line dataKey="revenue" stroke="#16a34a" />
            <Line dataKey="commissions" stroke="#f59e0b" />
            <Line dataKey="clicks" stroke="#6366f1" />
            <Line dataKey="leads" stroke="#0ea5e9" />
          </LineChart>
        </ResponsiveContainer>
      )}
    </div>
  );
}
