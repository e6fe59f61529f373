/**
 * Campaign service: campaign commands and the budget half of the commission saga. The rules are the
 * decider's (campaign.ts), the SQL the store's (store.ts); here are the subscriptions and their handlers.
 */
import type { ServiceDefinition } from '@beacon/service-kit';
import { campaignDecider, type Command, type Event } from './campaign.js';
import type { Database } from './db.js';
import { migrations } from './migrations.js';
import { campaignStore, keepEvidence } from './store.js';
import type { MessageContext, MessageHandler, MessageHandlers } from '@beacon/contracts';
import { update } from '@beacon/messaging';

/**
 * A handler that decides one command on the campaign it names (`campaignDecider`); and, for a hot
 * key's batch, many: per campaign one load and one save, each command decided on the state the one
 * before it left, each item emitting its own events in turn.
 */
function handle<M extends { campaignId: string }>(commandOf: (message: M) => Command): MessageHandler<Database, M> {
  const one: MessageHandler<Database, M> = async (ctx: MessageContext<Database, M>): Promise<void> => {
    const campaignId = ctx.message.campaignId;
    const command = commandOf(ctx.message);
    const events = await update(ctx, campaignStore(campaignId, [command]), campaignId, (state) =>
      campaignDecider.decide(command, state),
    );
    await afterDecided(ctx, campaignId, events);
  };
  one.many = async (items) => {
    const byCampaign = new Map<string, Array<MessageContext<Database, M>>>();
    for (const item of items) {
      const group = byCampaign.get(item.message.campaignId);
      if (group) group.push(item);
      else byCampaign.set(item.message.campaignId, [item]);
    }
    for (const [campaignId, group] of byCampaign) {
      const first = group[0];
      if (!first) continue;
      const commands = group.map((item) => commandOf(item.message));
      const store = campaignStore(campaignId, commands);
      const before = await store.load(first.trx);
      let state = before;
      const decisions = commands.map((command) => {
        const decision = campaignDecider.decide(command, state);
        state = decision.state;
        return decision.events;
      });
      if (state !== before) await store.save(first.trx, state, before);
      for (const [n, item] of group.entries()) {
        const events = decisions[n] ?? [];
        for (const event of events) await item.emit(event.type, campaignId, event.data);
        await afterDecided(item, campaignId, events);
      }
    }
  };
  return one;
}

async function afterDecided<M>(ctx: MessageContext<Database, M>, campaignId: string, events: Event[]): Promise<void> {
  for (const event of events) if (event.type === 'campaign.EvidenceSubmitted') await keepEvidence(ctx.trx, event.data);
  if (events.length > 0) ctx.log.info({ campaignId, emitted: events.map((e) => e.type) }, 'decided');
}

const commandHandlers: MessageHandlers<Database> = {
  'campaign.CreateCampaign': handle((data) => ({ type: 'campaign.CreateCampaign', data })),
  'campaign.ChangeCampaignStatus': handle((data) => ({ type: 'campaign.ChangeCampaignStatus', data })),
  'campaign.InviteInfluencers': handle((data) => ({ type: 'campaign.InviteInfluencers', data })),
  'campaign.AcceptCampaign': handle((data) => ({ type: 'campaign.AcceptCampaign', data })),
  'campaign.SubmitEvidence': handle((data) => ({ type: 'campaign.SubmitEvidence', data })),
};

export const campaignService: ServiceDefinition<Database> = {
  name: 'campaign',
  defaultOpsPort: 9101,
  migrations,
  subscriptions: () => [
    { topic: 'campaign/commands', handlers: commandHandlers },
    {
      topic: 'campaign/coupon-commands',
      handlers: {
        'campaign.CreateCoupon': handle((data) => ({ type: 'campaign.CreateCoupon', data })),
        'campaign.DeactivateCoupon': handle((data) => ({ type: 'campaign.DeactivateCoupon', data })),
      },
    },
    {
      topic: 'commission/events',
      handlers: {
        'commission.CommissionCalculated': handle((data) => ({ type: 'commission.CommissionCalculated', data })),
        'commission.CommissionReversed': handle((data) => ({ type: 'commission.CommissionReversed', data })),
      },
    },
    {
      topic: 'commission/review-events',
      handlers: {
        'commission.CommissionReviewed': handle((data) => ({ type: 'commission.CommissionReviewed', data })),
      },
    },
  ],
};
