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
