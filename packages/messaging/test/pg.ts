import pg from 'pg';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { recreateDatabase } from '@beacon/testing';
import { messagingMigration, type MessagingTables } from '../src/schema.js';

/** A fresh database with the messaging tables and a table for handlers' effects. */
export async function freshDatabase(name: string): Promise<{ db: Kysely<MessagingTables & TestTables>; url: string }> {
  const url = await recreateDatabase(name);
  const db = new Kysely<MessagingTables & TestTables>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 8 }) }),
  });
  await messagingMigration.up(db as unknown as Kysely<unknown>);
  await sql`CREATE TABLE effects (id text PRIMARY KEY, note text NOT NULL)`.execute(db);
  return { db, url };
}

export type TestDatabase = MessagingTables & TestTables;

export interface TestTables {
  effects: { id: string; note: string };
}
