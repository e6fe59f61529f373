import type { Api } from '../api';
import { CommissionTable } from '../components/CommissionTable';

export function Commissions({ api }: { api: Api }) {
  return (
    <section>
      <h2>Commissions</h2>
      <CommissionTable api={api} />
    </section>
  );
}

/** A brand's (or admin's) review queue: held commissions with why, to approve or reject. */
export function ReviewQueue({ api }: { api: Api }) {
  return (
    <section className="review-queue">
      <h2>Review queue</h2>
      <p className="muted">
        Held by the campaign’s review rules: the budget is reserved, nothing is credited until you decide. Undecided
        after the campaign’s review days, a commission is approved by itself (REVIEW_EXPIRED).
      </p>
      <CommissionTable api={api} initialStatus="held" review />
    </section>
  );
}
