import pg from 'pg';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { messagingMigration, type MessagingTables } from '../src/schema.js';

export const PG_BASE = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';

/** A fresh database per test file, so files can run in any order. */
export async function freshDatabase(name: string): Promise<{ db: Kysely<MessagingTables & TestTables>; url: string }> {
  const admin = new pg.Client({ connectionString: `${PG_BASE}/postgres` });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = `${PG_BASE}/${name}`;
  const db = new Kysely<MessagingTables & TestTables>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 8 }) }),
  });
  await messagingMigration.up(db as unknown as Kysely<unknown>);
  await sql`CREATE TABLE effects (id text PRIMARY KEY, note text NOT NULL)`.execute(db);
  return { db, url };
}

export interface TestTables {
  effects: { id: string; note: string };
}
