/** The campaign service's SQL: a campaign with the reservations and members commands name, and evidence. */
import type { Transaction } from 'kysely';
import type { EvidenceSubmitted } from '@beacon/contracts';
import type { Store } from '@beacon/messaging';
import {
  couponsNamedBy,
  membersNamedBy,
  reservationNamedBy,
  stateFromJson,
  stateToJson,
  type Command,
  type Reservation,
  type State,
} from './campaign.js';
import type { Database } from './db.js';

/**
 * The campaign some commands name, as a store for `update`: FOR UPDATE guards the budget across
 * replicas. The campaign is one row; its reservations and its members are rows of their own, and
 * only those the commands name are loaded and saved, so a campaign's thousandth commission or member
 * costs what its first did. Many commands (a hot campaign's batch) load and save together.
 */
export function campaignStore(campaignId: string, commands: Command[]): Store<Database, State> {
  const commissionIds = [...new Set(commands.map(reservationNamedBy).filter((id): id is string => id !== undefined))];
  const named = [...new Set(commands.flatMap(membersNamedBy))];
  const codes = [...new Set(commands.flatMap(couponsNamedBy))];
  return {
    async load(trx) {
      const row = await trx
        .selectFrom('campaigns')
        .select(['state', 'brand_id'])
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
      const coupons = codes.length
        ? await trx
            .selectFrom('coupons')
            .select(['code_key', 'code', 'campaign_id', 'influencer_id', 'active'])
            .where('brand_id', '=', row.brand_id)
            .where('code_key', 'in', codes)
            .execute()
        : [];
      return stateFromJson(
        row.state,
        reservations,
        Object.fromEntries(members.map((m) => [m.influencer_id, m.status])),
        Object.fromEntries(
          coupons.map((c) => [
            c.code_key,
            { code: c.code, campaignId: c.campaign_id, influencerId: c.influencer_id, active: c.active },
          ]),
        ),
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
      // A code is the brand's: the primary key (brand, code key) refuses a second holder even when two
      // of the brand's campaigns create it at once (the loser's transaction fails and is redelivered).
      const coupons = Object.entries(next.coupons).filter(([key, c]) => before?.coupons[key] !== c);
      for (const [key, c] of coupons) {
        const row = { campaign_id: c.campaignId, influencer_id: c.influencerId, active: c.active };
        await trx
          .insertInto('coupons')
          .values({ brand_id: next.brandId, code_key: key, code: c.code, ...row })
          .onConflict((oc) =>
            oc
              .columns(['brand_id', 'code_key'])
              .doUpdateSet({ active: c.active })
              .where('coupons.campaign_id', '=', c.campaignId),
          )
          .execute();
      }
    },
  };
}

export async function keepEvidence(trx: Transaction<Database>, e: EvidenceSubmitted): Promise<void> {
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
