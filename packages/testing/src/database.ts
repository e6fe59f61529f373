import pg from 'pg';
import type { Kysely } from 'kysely';
import { Migrator, type Migration } from 'kysely/migration';
import { connect } from '@beacon/service-kit';

/** A new, migrated database for one test file, connected the way services connect (same type parsers). */
export async function freshServiceDatabase<DB>(
  name: string,
  migrations: Record<string, Migration>,
): Promise<Kysely<DB>> {
  const base = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
  const admin = new pg.Client({ connectionString: `${base}/postgres` });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const { db } = connect<DB>(`${base}/${name}`, 8);
  const { error } = await new Migrator({ db, provider: { getMigrations: async () => migrations } }).migrateToLatest();
  if (error) throw error;
  return db;
}
