/** Lists page by a cursor over each read model's seq: `limit` and `cursor` in, `nextCursor` out. */
import { Problem } from './problems.js';

/** A page request (limit and cursor, as the contract's Paging parses them): the limit and the seq to start after. */
export function pageParams(query: { limit: number; cursor?: string }): { limit: number; after: bigint } {
  if (!query.cursor) return { limit: query.limit, after: 0n };
  const text = Buffer.from(query.cursor, 'base64url').toString();
  const after = /^\d{1,19}$/.test(text) ? BigInt(text) : -1n;
  if (after < 0n || after > 2n ** 63n - 1n) {
    throw new Problem(400, 'Bad Request', 'cursor is not valid', [
      { path: 'cursor', message: 'not a cursor from this API' },
    ]);
  }
  return { limit: query.limit, after };
}

/** Rows fetched with limit + 1 and ordered by seq: the page and the cursor of the next one. */
export function page<T extends { seq: bigint }, U>(
  rows: T[],
  limit: number,
  map: (row: T) => U,
): { items: U[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const more = rows.length > limit;
  const last = items.at(-1);
  return {
    items: items.map(map),
    nextCursor: more && last ? Buffer.from(String(last.seq)).toString('base64url') : null,
  };
}

/** A read-model query not yet ordered: every read model pages by its `seq` column. */
interface BySeq<T> {
  orderBy(column: 'seq'): { limit(limit: number): { execute(): Promise<T[]> } };
}

/** Runs a read-model query for one page: ordered by seq, one row more than the page to tell whether another follows. */
export async function fetchPage<T extends { seq: bigint }, U>(
  query: BySeq<T>,
  limit: number,
  map: (row: T) => U,
): Promise<{ items: U[]; nextCursor: string | null }> {
  return page(
    await query
      .orderBy('seq')
      .limit(limit + 1)
      .execute(),
    limit,
    map,
  );
}

/**
 * Keyset cursors over a text key (an influencer id, say), for lists that page by a key rather than a
 * seq: the last key of a page, tagged so a cursor of one list is refused by another.
 */
export const keyCursor = (tag: string, key: string): string => Buffer.from(`${tag}:${key}`).toString('base64url');

/** The key a keyset cursor names (undefined: the first page); 400 for a cursor this list did not make. */
export function afterKey(tag: string, cursor: string | undefined, field: string): string | undefined {
  if (!cursor) return undefined;
  const text = Buffer.from(cursor, 'base64url').toString();
  if (!text.startsWith(`${tag}:`))
    throw new Problem(400, 'Bad Request', `${field} is not valid`, [
      { path: field, message: 'not a cursor from this API' },
    ]);
  return text.slice(tag.length + 1);
}
