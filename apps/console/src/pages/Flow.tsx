import type { Api } from '../api';
import { Timeline } from '../components/Timeline';

export function Flow({ api, correlationId }: { api: Api; correlationId: string }) {
  return (
    <section>
      <h2>Flow</h2>
      <Timeline key={correlationId} api={api} correlationId={correlationId} />
    </section>
  );
}
