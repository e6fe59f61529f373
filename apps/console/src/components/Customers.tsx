import { add, formatAmount, parseAmount, type Money } from '@beacon/money';
import { formatMoney, type Api, type Customer, type CustomerSummary } from '../api';
import { useLoad } from '../hooks';
import { Empty, ErrorNote, Table } from './ui';

const isSummary = (c: Customer | CustomerSummary): c is CustomerSummary => !('customerId' in c);

/**
 * Customers, as the API shows them to the caller: a brand each customer, grouped by the influencer it
 * is bound to; an influencer only counts and earnings per campaign (the API never gives it a customer id).
 */
export function Customers({ api, campaignId, version }: { api: Api; campaignId?: string; version: number }) {
  const { data, error } = useLoad(
    async () => ({ items: await api.customers({ campaignId }) }),
    [api, campaignId, version],
  );
  const items = data?.items ?? [];
  const summaries = items.filter(isSummary);
  const customers = items.filter((c): c is Customer => !isSummary(c));
  return (
    <div className="customers">
      <h3>{summaries.length > 0 ? 'Your customers' : 'Customers'}</h3>
      <ErrorNote error={error} />
      {data && items.length === 0 && (
        <Empty>No customers yet. A lead or a sale that carries the brand’s customer id binds one.</Empty>
      )}
      {summaries.length > 0 && (
        <Table headings={['Campaign', 'Customers', 'Sales', 'Revenue', 'Earned']}>
          {summaries.map((s) => (
            <tr key={s.campaignId} data-customer-summary={s.campaignId}>
              <td>{s.campaignId}</td>
              <td data-field="customers">{s.customers}</td>
              <td data-field="sales">{s.sales}</td>
              <td>{formatMoney(s.revenue)}</td>
              <td data-field="earnings">{formatMoney(s.earnings)}</td>
            </tr>
          ))}
        </Table>
      )}
      {customers.length > 0 && (
        <>
          <Table headings={['Influencer', 'Customers', 'Sales', 'Revenue']}>
            {perInfluencer(customers).map((g) => (
              <tr key={g.influencerId} data-influencer-customers={g.influencerId}>
                <td>{g.influencerId}</td>
                <td data-field="customers">{g.customers}</td>
                <td data-field="sales">{g.sales}</td>
                <td>{g.revenue}</td>
              </tr>
            ))}
          </Table>
          <Table headings={['Customer', 'Influencer', 'Bound by', 'Since', 'Sales', 'Revenue']}>
            {customers.map((c) => (
              <tr key={`${c.campaignId} ${c.customerId}`} data-customer={c.customerId}>
                <td>{c.customerId}</td>
                <td>{c.influencerId}</td>
                <td>{c.attribution.replace('_', ' ')}</td>
                <td>{new Date(c.boundAt).toLocaleDateString()}</td>
                <td>{c.sales}</td>
                <td>{formatMoney(c.revenue)}</td>
              </tr>
            ))}
          </Table>
        </>
      )}
    </div>
  );
}

/** Customers, sales and revenue per influencer (revenue summed per currency, in minor units). */
function perInfluencer(customers: Customer[]) {
  const groups = new Map<string, { customers: number; sales: number; revenue: Map<string, Money> }>();
  for (const c of customers) {
    const g = groups.get(c.influencerId) ?? { customers: 0, sales: 0, revenue: new Map<string, Money>() };
    g.customers += 1;
    g.sales += c.sales;
    const revenue = parseAmount(c.revenue.amount, c.revenue.currency);
    const sum = g.revenue.get(revenue.currency);
    g.revenue.set(revenue.currency, sum ? add(sum, revenue) : revenue);
    groups.set(c.influencerId, g);
  }
  return [...groups].map(([influencerId, g]) => ({
    influencerId,
    customers: g.customers,
    sales: g.sales,
    revenue: [...g.revenue.values()].map((m) => `${formatAmount(m)} ${m.currency}`).join(' · ') || '—',
  }));
}
