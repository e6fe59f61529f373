import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { connect, ensureDatabase, migrate } from '../src/database.js';

const url = 'postgres://postgres@127.0.0.1:5432/beacon_kit_migrate_test';

describe('each service owns its own database', () => {
  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
    await admin.connect();
    await admin.query('DROP DATABASE IF EXISTS beacon_kit_migrate_test WITH (FORCE)');
    await admin.end();
  });

  it('creates the database when missing and runs migrations once, idempotently', async () => {
    await ensureDatabase(url);
    await ensureDatabase(url); // second call finds it
    const { db } = connect<{ things: { id: number; label: string | null } }>(url);
    const migrations = {
      '001_things': {
        up: async (d: Kysely<unknown>) => void (await sql`CREATE TABLE things (id int PRIMARY KEY)`.execute(d)),
      },
      '002_label': {
        up: async (d: Kysely<unknown>) => void (await sql`ALTER TABLE things ADD COLUMN label text`.execute(d)),
      },
    };
    await migrate(db as unknown as Kysely<unknown>, migrations);
    await migrate(db as unknown as Kysely<unknown>, migrations);
    await db.insertInto('things').values({ id: 1, label: 'one' }).execute();
    expect(await db.selectFrom('things').selectAll().execute()).toEqual([{ id: 1, label: 'one' }]);
    await db.destroy();
  });

  it('reports the failing migration by name', async () => {
    const { db } = connect(url);
    const applied = async () => undefined;
    await expect(
      migrate(db as unknown as Kysely<unknown>, {
        '001_things': { up: applied },
        '002_label': { up: applied },
        '003_broken': { up: async (d: Kysely<unknown>) => void (await sql`SELEC 1`.execute(d)) },
      }),
    ).rejects.toThrow(/003_broken/);
    await db.destroy();
  });
});
