/**
 * Whose tracking data a caller may write and read: a brand its own campaigns' events, an ingest client
 * its token's brand's, admin anyone's. Writes are checked against the campaigns' owners; reads (the
 * events list, a visitor's activity) are scoped to the reader's brand.
 */
import type { Request } from 'express';
import type { Kysely } from 'kysely';
import type { Database } from '../db.js';
import { forbidden } from '../http/problems.js';
import { has } from '../http/require-role.js';

/**
 * The brand whose campaigns the caller may write events to: a brand its own, an ingest client its
 * token's `brand` claim; null for admin, who writes anywhere.
 */
export function writerBrandOf(req: Request): string | null {
  if (has(req, 'admin')) return null;
  if (has(req, 'brand')) return req.caller.sub;
  if (has(req, 'ingest')) {
    if (!req.caller.brand) throw forbidden('this ingest token has no brand claim: it may not write to any campaign');
    return req.caller.brand;
  }
  throw forbidden('needs one of the roles: ingest, brand, admin');
}

/**
 * Campaign ids (of those given) the writer may not write to, as far as the BFF knows. A campaign it
 * does not know yet passes; the tracking service, which knows every owner, stores such an event
 * invalid (NOT_OWNER or UNKNOWN_CAMPAIGN), visible to its sender only.
 */
export async function foreignCampaigns(
  owners: CampaignOwners,
  writer: string | null,
  campaignIds: string[],
): Promise<Set<string>> {
  if (writer === null || campaignIds.length === 0) return new Set();
  const known = await owners.of([...new Set(campaignIds)]);
  return new Set(campaignIds.filter((id) => known.has(id) && known.get(id) !== writer));
}

/**
 * Campaign owners as the read model knows them, remembered: a campaign's owner never changes, so a
 * known owner needs no second lookup. Unknown campaigns are looked up again each time (they may
 * appear any moment). Bounded: the memory is dropped when it holds `max` campaigns.
 */
export class CampaignOwners {
  private readonly known = new Map<string, string>();
  constructor(
    private readonly db: Kysely<Database>,
    private readonly max = 100_000,
  ) {}

  async of(ids: string[]): Promise<Map<string, string>> {
    const missing = ids.filter((id) => !this.known.has(id));
    if (missing.length > 0) {
      const rows = await this.db
        .selectFrom('rm_campaigns')
        .select(['id', 'brand_id'])
        .where('id', 'in', missing)
        .execute();
      if (this.known.size + rows.length > this.max) this.known.clear();
      for (const r of rows) this.known.set(r.id, r.brand_id);
    }
    return new Map(
      ids.flatMap((id) => {
        const owner = this.known.get(id);
        return owner === undefined ? [] : [[id, owner] as const];
      }),
    );
  }
}

/** The brand whose events the caller may read: its own (a brand); null for admin, who reads all. */
export const readerBrandOf = (req: Request): string | null => (has(req, 'admin') ? null : req.caller.sub);
