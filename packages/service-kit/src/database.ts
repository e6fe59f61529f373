/** PostgreSQL per service: create the database if missing, connect with Kysely, migrate. */
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import { Migrator, type Migration, type MigrationProvider } from 'kysely/migration';

// int8 (amounts in minor units, counts, bigserial, COUNT) as bigint: exact above 2^53.
pg.types.setTypeParser(20, (value) => BigInt(value));
// numeric (what SUM over int8 gives) as bigint when integral.
pg.types.setTypeParser(1700, (value) => (/^-?\d+$/.test(value) ? BigInt(value) : Number(value)));

export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`refusing to create a database named "${name}"`);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  client.on('error', () => undefined); // a server going away fails the statement in flight instead
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) {
      try {
        await client.query(`CREATE DATABASE "${name}"`);
      } catch (error) {
        // Two processes creating the same database at once: the loser sees 42P04 (or a unique violation).
        const code = (error as { code?: string }).code;
        if (code !== '42P04' && code !== '23505') throw error;
      }
    }
  } finally {
    await client.end();
  }
}

export function connect<DB>(databaseUrl: string, poolSize = 10): { db: Kysely<DB>; pool: pg.Pool } {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: poolSize });
  pool.on('error', () => undefined); // idle client errors surface on the next query instead
  // The pool listens for errors only on idle clients. A client checked out between two statements
  // (a transaction awaiting the broker, say) when the server restarts would emit an 'error' nobody
  // hears, and that kills the process. Its next statement fails instead; the pool then drops it.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return { db: new Kysely<DB>({ dialect: new PostgresDialect({ pool }) }), pool };
}

export async function migrate(db: Kysely<unknown>, migrations: Record<string, Migration>): Promise<void> {
  const provider: MigrationProvider = { getMigrations: async () => migrations };
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(
      `migration ${failed?.migrationName ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/**
 * A PostgreSQL array literal for a text[] column, so a column of arrays can travel through
 * `unnest(…::text[])` as one text per row (`::text[]` on each turns it back into an array).
 */
export function textArrayLiteral(values: string[]): string {
  return `{${values.map((v) => `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(',')}}`;
}
