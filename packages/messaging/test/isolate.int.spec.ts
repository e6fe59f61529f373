import { sql, type Kysely, type Transaction } from 'kysely';
import { applyIsolated } from '../src/isolate.js';
import { freshDatabase, type TestDatabase } from './pg.js';

let db: Kysely<TestDatabase>;
beforeAll(async () => {
  ({ db } = await freshDatabase('beacon_test_isolate'));
  // what a batch item may fail on: the data (a check), as an overflow or a constraint would
  await sql`ALTER TABLE effects ADD CONSTRAINT note_is_short CHECK (length(note) < 10)`.execute(db);
});
afterAll(() => db.destroy());

/** Applies the notes as one multi-row insert, as a batch handler does. */
const insertAll = (trx: Transaction<TestDatabase>) => async (items: Array<{ id: string; note: string }>) => {
  await trx.insertInto('effects').values(items).execute();
};

describe('poison isolation inside one message (real PostgreSQL)', () => {
  it('applies every item but the one that cannot be applied, and hands that one over', async () => {
    const poisoned: string[] = [];
    await db.transaction().execute(async (trx) => {
      await applyIsolated(
        trx,
        [
          { id: 'a', note: 'ok' },
          { id: 'b', note: 'far too long a note' },
          { id: 'c', note: 'ok' },
        ],
        insertAll(trx),
        async (item, error) => {
          poisoned.push(`${item.id}: ${error.message}`);
        },
      );
    });
    expect(poisoned).toEqual([expect.stringMatching(/^b: .*note_is_short/)]);
    expect((await db.selectFrom('effects').select('id').orderBy('id').execute()).map((r) => r.id)).toEqual(['a', 'c']);
  });

  it('rethrows when every item fails alone: the message, not an item, is at fault', async () => {
    await expect(
      db.transaction().execute((trx) =>
        applyIsolated(
          trx,
          [
            { id: 'x', note: 'far too long a note' },
            { id: 'y', note: 'also far too long' },
          ],
          insertAll(trx),
          async () => undefined,
        ),
      ),
    ).rejects.toThrow(/note_is_short/);
    expect(await db.selectFrom('effects').select('id').where('id', 'in', ['x', 'y']).execute()).toEqual([]);
  });
});
