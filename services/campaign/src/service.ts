/** Campaign service: campaign commands and the budget half of the commission saga. */
import type { HandlerContext, HandlerMap } from '@beacon/messaging';
import type { ServiceDefinition } from '@beacon/service-kit';
import { decide, evolve, stateFromJson, stateToJson, type Command, type State } from './campaign.js';
import type { Database } from './db.js';
import { migrations } from './migrations.js';

/** Load → decide → save → emit, in the handler's transaction; FOR UPDATE guards the budget across replicas. */
function handle(type: Command['type']) {
  return async (ctx: HandlerContext<Database, Command['data']>): Promise<void> => {
    const campaignId = ctx.message.campaignId;
    const row = await ctx.trx.selectFrom('campaigns').select('state').where('id', '=', campaignId).forUpdate().executeTakeFirst();
    const state: State = row ? stateFromJson(row.state) : null;
    const events = decide({ type, data: ctx.message } as Command, state);
    const next = events.reduce(evolve, state);
    if (next && next !== state) {
      await ctx.trx
        .insertInto('campaigns')
        .values({ id: next.id, brand_id: next.brandId, state: stateToJson(next), updated_at: new Date() })
        .onConflict((oc) => oc.column('id').doUpdateSet({ state: stateToJson(next), updated_at: new Date() }))
        .execute();
    }
    for (const event of events) {
      if (event.type === 'campaign.EvidenceSubmitted') {
        const e = event.data;
        await ctx.trx
          .insertInto('evidence')
          .values({ id: e.evidenceId, campaign_id: e.campaignId, influencer_id: e.influencerId, type: e.type, url: e.url, description: e.description })
          .onConflict((oc) => oc.column('id').doNothing())
          .execute();
      }
      await ctx.emit(event.type, campaignId, event.data);
    }
    if (events.length > 0) ctx.log.info({ campaignId, emitted: events.map((e) => e.type) }, 'decided');
  };
}

const commandHandlers: HandlerMap<Database> = Object.fromEntries(
  (['campaign.CreateCampaign', 'campaign.ChangeCampaignStatus', 'campaign.InviteInfluencers', 'campaign.AcceptCampaign', 'campaign.SubmitEvidence'] as const).map((t) => [t, handle(t)]),
);

export const campaignService: ServiceDefinition<Database> = {
  name: 'campaign',
  defaultOpsPort: 9101,
  migrations,
  subscriptions: () => [
    { topic: 'campaign/commands', handlers: commandHandlers },
    {
      topic: 'commission/events',
      handlers: {
        'commission.CommissionCalculated': handle('commission.CommissionCalculated'),
        'commission.CommissionReversed': handle('commission.CommissionReversed'),
      },
    },
  ],
};
