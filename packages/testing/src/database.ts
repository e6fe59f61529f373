import pg from 'pg';
import type { Kysely } from 'kysely';
import { Migrator, type Migration } from 'kysely/migration';
import { connect } from '@beacon/service-kit';

/** The test PostgreSQL server (TEST_PG_URL, default the local one). */
export const TEST_PG_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';

/** Drops database `name` if it exists and creates it empty, so test files can run in any order; its URL. */
export async function recreateDatabase(name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: `${TEST_PG_URL}/postgres` });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  return `${TEST_PG_URL}/${name}`;
}

/** A new, migrated database for one test file, connected the way services connect (same type parsers). */
export async function freshServiceDatabase<DB>(
  name: string,
  migrations: Record<string, Migration>,
): Promise<Kysely<DB>> {
  const { db } = connect<DB>(await recreateDatabase(name), 8);
  const { error } = await new Migrator({ db, provider: { getMigrations: async () => migrations } }).migrateToLatest();
  if (error) throw error;
  return db;
}
