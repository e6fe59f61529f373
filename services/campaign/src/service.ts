/** Campaign service: campaign commands and the budget half of the commission saga. */
import type { ServiceDefinition } from '@beacon/service-kit';
import type { Transaction } from 'kysely';
import {
  decide,
  evolve,
  membersNamedBy,
  reservationNamedBy,
  stateFromJson,
  stateToJson,
  type Command,
  type Reservation,
  type State,
} from './campaign.js';
import type { Database } from './db.js';
import { migrations } from './migrations.js';
import type { EvidenceSubmitted, MessageContext, MessageHandler, MessageHandlers } from '@beacon/contracts';
import { update, type Store } from '@beacon/messaging';

/**
 * The campaign a command names, as a store for `update`: FOR UPDATE guards the budget across
 * replicas. The campaign is one row; its reservations and its members are rows of their own, and
 * only those the command names are loaded and saved, so a campaign's thousandth commission or member
 * costs what its first did.
 */
function campaignStore(campaignId: string, command: Command): Store<Database, State> {
  const commissionId = reservationNamedBy(command);
  const named = membersNamedBy(command);
  return {
    async load(trx) {
      const row = await trx
        .selectFrom('campaigns')
        .select('state')
        .where('id', '=', campaignId)
        .forUpdate()
        .executeTakeFirst();
      if (!row) return null;
      const reservation = commissionId ? await loadReservation(trx, campaignId, commissionId) : undefined;
      const members = named.length
        ? await trx
            .selectFrom('members')
            .select(['influencer_id', 'status'])
            .where('campaign_id', '=', campaignId)
            .where('influencer_id', 'in', named)
            .execute()
        : [];
      return stateFromJson(
        row.state,
        reservation && commissionId ? { [commissionId]: reservation } : {},
        Object.fromEntries(members.map((m) => [m.influencer_id, m.status])),
      );
    },
    async save(trx, next, before) {
      if (!next) return;
      await trx
        .insertInto('campaigns')
        .values({ id: next.id, brand_id: next.brandId, state: stateToJson(next), updated_at: new Date() })
        .onConflict((oc) => oc.column('id').doUpdateSet({ state: stateToJson(next), updated_at: new Date() }))
        .execute();
      const changed = commissionId ? next.reservations[commissionId] : undefined;
      if (commissionId && changed && changed !== before?.reservations[commissionId])
        await saveReservation(trx, next.id, commissionId, changed);
      const members = Object.entries(next.influencers).filter(([id, status]) => before?.influencers[id] !== status);
      if (members.length > 0)
        await trx
          .insertInto('members')
          .values(members.map(([id, status]) => ({ campaign_id: next.id, influencer_id: id, status })))
          .onConflict((oc) =>
            oc.columns(['campaign_id', 'influencer_id']).doUpdateSet((eb) => ({ status: eb.ref('excluded.status') })),
          )
          .execute();
    },
  };
}

/** A handler that decides one command on the campaign it names (`decide`, then `evolve` by its events). */
function handle<M extends { campaignId: string }>(commandOf: (message: M) => Command): MessageHandler<Database, M> {
  return async (ctx: MessageContext<Database, M>): Promise<void> => {
    const campaignId = ctx.message.campaignId;
    const command = commandOf(ctx.message);
    const events = await update(ctx, campaignStore(campaignId, command), campaignId, (state) => {
      const decided = decide(command, state);
      return { state: decided.reduce(evolve, state), events: decided };
    });
    for (const event of events)
      if (event.type === 'campaign.EvidenceSubmitted') await keepEvidence(ctx.trx, event.data);
    if (events.length > 0) ctx.log.info({ campaignId, emitted: events.map((e) => e.type) }, 'decided');
  };
}

async function keepEvidence(trx: Transaction<Database>, e: EvidenceSubmitted): Promise<void> {
  await trx
    .insertInto('evidence')
    .values({
      id: e.evidenceId,
      campaign_id: e.campaignId,
      influencer_id: e.influencerId,
      type: e.type,
      url: e.url,
      description: e.description,
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}

async function loadReservation(
  trx: Transaction<Database>,
  campaignId: string,
  commissionId: string,
): Promise<Reservation | undefined> {
  const row = await trx
    .selectFrom('reservations')
    .select(['amount_minor', 'released'])
    .where('campaign_id', '=', campaignId)
    .where('commission_id', '=', commissionId)
    .executeTakeFirst();
  return row ? { amount: row.amount_minor, released: row.released } : undefined;
}

async function saveReservation(
  trx: Transaction<Database>,
  campaignId: string,
  commissionId: string,
  r: Reservation,
): Promise<void> {
  const values = { amount_minor: r.amount.toString(), released: r.released };
  await trx
    .insertInto('reservations')
    .values({ campaign_id: campaignId, commission_id: commissionId, ...values })
    .onConflict((oc) => oc.columns(['campaign_id', 'commission_id']).doUpdateSet(values))
    .execute();
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
      topic: 'commission/events',
      handlers: {
        'commission.CommissionCalculated': handle((data) => ({ type: 'commission.CommissionCalculated', data })),
        'commission.CommissionReversed': handle((data) => ({ type: 'commission.CommissionReversed', data })),
      },
    },
  ],
};
