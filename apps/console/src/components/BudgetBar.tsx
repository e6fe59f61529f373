import { formatMoney, type Campaign } from '../api';

/** A campaign's budget: spent of total for its owner; the total alone for an influencer. */
export function BudgetBar({ c }: { c: Campaign }) {
  // An influencer is shown the terms, not what the brand has spent.
  if (!c.spent) return <span className="budget-total">{formatMoney(c.budget)} budget</span>;
  const budget = Number(c.budget.amount);
  const share = budget > 0 ? Math.min(1, Number(c.spent.amount) / budget) : 0;
  return (
    <div className="budget" title={`${c.spent.amount} of ${formatMoney(c.budget)} spent`}>
      <div className="budget-fill" style={{ width: `${share * 100}%` }} />
      <span>
        {c.spent.amount} / {formatMoney(c.budget)}
      </span>
    </div>
  );
}
