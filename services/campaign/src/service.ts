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
 * The campaign some commands name, as a store for `update`: FOR UPDATE guards the budget across
 * replicas. The campaign is one row; its reservations and its members are rows of their own, and
 * only those the commands name are loaded and saved, so a campaign's thousandth commission or member
 * costs what its first did. Many commands (a hot campaign's batch) load and save together.
 */
function campaignStore(campaignId: string, commands: Command[]): Store<Database, State> {
  const commissionIds = [...new Set(commands.map(reservationNamedBy).filter((id): id is string => id !== undefined))];
  const named = [...new Set(commands.flatMap(membersNamedBy))];
  return {
    async load(trx) {
      const row = await trx
        .selectFrom('campaigns')
        .select('state')
        .where('id', '=', campaignId)
        .forUpdate()
        .executeTakeFirst();
      if (!row) return null;
      const reservations = commissionIds.length ? await loadReservations(trx, campaignId, commissionIds) : {};
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
        reservations,
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
      const changed = commissionIds.flatMap((id) => {
        const r = next.reservations[id];
        return r && r !== before?.reservations[id] ? [{ commissionId: id, reservation: r }] : [];
      });
      if (changed.length > 0) await saveReservations(trx, next.id, changed);
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

/**
 * A handler that decides one command on the campaign it names (`decide`, then `evolve` by its
 * events); and, for a hot key's batch, many: per campaign one load and one save, each command
 * decided on the state the one before it left, each item emitting its own events in turn.
 */
function handle<M extends { campaignId: string }>(commandOf: (message: M) => Command): MessageHandler<Database, M> {
  const one: MessageHandler<Database, M> = async (ctx: MessageContext<Database, M>): Promise<void> => {
    const campaignId = ctx.message.campaignId;
    const command = commandOf(ctx.message);
    const events = await update(ctx, campaignStore(campaignId, [command]), campaignId, (state) => {
      const decided = decide(command, state);
      return { state: decided.reduce(evolve, state), events: decided };
    });
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
        const decided = decide(command, state);
        state = decided.reduce(evolve, state);
        return decided;
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

async function afterDecided<M>(
  ctx: MessageContext<Database, M>,
  campaignId: string,
  events: Array<ReturnType<typeof decide>[number]>,
): Promise<void> {
  for (const event of events) if (event.type === 'campaign.EvidenceSubmitted') await keepEvidence(ctx.trx, event.data);
  if (events.length > 0) ctx.log.info({ campaignId, emitted: events.map((e) => e.type) }, 'decided');
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

async function loadReservations(
  trx: Transaction<Database>,
  campaignId: string,
  commissionIds: string[],
): Promise<Record<string, Reservation>> {
  const rows = await trx
    .selectFrom('reservations')
    .select(['commission_id', 'amount_minor', 'released'])
    .where('campaign_id', '=', campaignId)
    .where('commission_id', 'in', commissionIds)
    .execute();
  return Object.fromEntries(
    rows.map((row) => [row.commission_id, { amount: row.amount_minor, released: row.released }]),
  );
}

async function saveReservations(
  trx: Transaction<Database>,
  campaignId: string,
  changed: Array<{ commissionId: string; reservation: Reservation }>,
): Promise<void> {
  await trx
    .insertInto('reservations')
    .values(
      changed.map(({ commissionId, reservation: r }) => ({
        campaign_id: campaignId,
        commission_id: commissionId,
        amount_minor: r.amount.toString(),
        released: r.released,
      })),
    )
    .onConflict((oc) =>
      oc.columns(['campaign_id', 'commission_id']).doUpdateSet((eb) => ({
        amount_minor: eb.ref('excluded.amount_minor'),
        released: eb.ref('excluded.released'),
      })),
    )
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
