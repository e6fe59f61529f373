/**
 * A campaign's retained history read as the BFF's simulation worker reads it, with the BFF's own role
 * (the local fleet's secrets unless the environment names others): for tools that look at a backtest
 * from outside the fleet (a benchmark, a test explaining a difference).
 */
import { codecs as contractCodecs, FLEET_ACCESS, loadRegisteredWriterSchemas } from '@beacon/contracts';
import { busFor, loadConfig } from '@beacon/service-kit';
import { readCampaignHistory } from '../../services/bff/src/simulations/history.js';
import type { HistoryMessage } from '../../services/bff/src/simulations/engine.js';
import { serviceSecretsEnv } from './secrets.js';

export async function campaignHistoryAsBff(campaignId: string): Promise<HistoryMessage[]> {
  const config = loadConfig('bff', 0, { ...process.env, ...serviceSecretsEnv('bff', process.env) });
  const bus = await busFor(config);
  try {
    const codecs = contractCodecs();
    await loadRegisteredWriterSchemas(config.pulsarAdminUrl, codecs, {
      tenant: config.tenant,
      token: config.pulsarToken,
      topics: FLEET_ACCESS.bff.consumes,
    });
    const history = await readCampaignHistory({ bus, codecs, tenant: config.tenant, campaignId, maxMessages: 500_000 });
    if (history === 'cancelled') throw new Error('the read was cancelled');
    return history;
  } finally {
    await bus.close();
  }
}
