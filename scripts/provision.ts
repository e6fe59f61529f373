/**
 * Set-up as the administrator, before the fleet starts (scripts/setup.sh, `npm run fleet`, the tests'
 * global set-up, and compose's `provision` job). Every step is idempotent and declarative:
 *
 * - Pulsar (admin token): the tenant, each context's namespace, every topic and every subscription's
 *   dead-letter topic exist; every schema is registered; each service's role holds exactly the grants
 *   `FLEET_ACCESS` gives it on each topic, and any other role's grant there is revoked.
 * - PostgreSQL (a superuser URL): each service has its own login role with a password (set again on
 *   every run, which is how a password is rotated), owns its own database and its objects, and no other
 *   role may connect to that database.
 */
import pg from 'pg';
import {
  codecs,
  deadLetterTopicOf,
  FLEET_ACCESS,
  FLEET_SERVICES,
  registerSchemas,
  FLEET_SUBSCRIPTIONS,
  HISTORY_NAMESPACES,
  retentionPolicyFromEnv,
} from '@beacon/contracts';
import { pulsarAuthHeaders, pulsarTokenFromEnv } from '@beacon/messaging';
import { ensureDatabase } from '@beacon/service-kit';
import { databasePassword, databaseRole, pulsarTokenFile } from './lib/secrets.js';

type Action = 'produce' | 'consume';

/** Role → actions, per topic schema name: the whole of what the broker lets the fleet do. */
export function topicGrants(): Map<string, Map<string, Action[]>> {
  const grants = new Map<string, Map<string, Action[]>>();
  const grant = (topic: string, role: string, action: Action) => {
    const roles = grants.get(topic) ?? new Map<string, Action[]>();
    roles.set(role, [...new Set([...(roles.get(role) ?? []), action])]);
    grants.set(topic, roles);
  };
  for (const service of FLEET_SERVICES) {
    for (const topic of FLEET_ACCESS[service].produces) grant(topic, service, 'produce');
    for (const topic of FLEET_ACCESS[service].consumes) grant(topic, service, 'consume');
  }
  // The broker's WebSocket service writes dead letters as admin; the BFF watches them all.
  for (const { topic, service } of FLEET_SUBSCRIPTIONS) grant(deadLetterTopicOf(topic, service), 'bff', 'consume');
  return grants;
}

async function provisionPulsar(adminUrl: string, tenant: string, token: string): Promise<void> {
  const headers = { 'Content-Type': 'application/json', ...pulsarAuthHeaders(token) };
  // Every call here is idempotent, so one the broker fails for a reason of its own (a 5xx: a bookie
  // that is briefly unavailable answers "Not enough non-faulty bookies") or drops is tried again, for up
  // to about a minute; a 4xx is an answer and fails at once.
  const call = async (method: string, path: string, body?: unknown, ok: number[] = []) => {
    const delaysMs = [500, 1000, 2000, 4000, 8000, 15000, 30000];
    for (let attempt = 0; ; attempt++) {
      let failure: string;
      try {
        const response = await fetch(`${adminUrl}/admin/v2/${path}`, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        if (response.ok || ok.includes(response.status)) return response;
        failure = `${method} ${path}: HTTP ${response.status} ${await response.text()}`;
        if (response.status < 500) throw new Error(failure);
      } catch (error) {
        if (!(error instanceof TypeError)) throw error; // fetch's own failure (no connection) is a TypeError
        failure = `${method} ${path}: ${error.message} (${String((error as { cause?: unknown }).cause ?? '')})`;
      }
      const delay = delaysMs[attempt];
      if (delay === undefined) throw new Error(failure);
      console.warn(`[provision] ${failure.slice(0, 300)}; trying again in ${delay} ms`);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  };
  const clusters = (await (await call('GET', 'clusters')).json()) as string[];
  await call('PUT', `tenants/${tenant}`, { allowedClusters: clusters }, [409]);
  for (const service of FLEET_SERVICES) {
    await call('PUT', `namespaces/${tenant}/${service}`, undefined, [409]);
    // A topic carries several message types as branches of one payload union, and a new type is a new
    // branch: readers of the new schema read all data written before (the broker checks every earlier
    // version), while old readers cannot read the new type's messages, which is why consumers deploy first.
    // The broker's default (FULL) refuses a new branch; `pnpm schemas:check` still checks both ways
    // for the types both versions know (avsc's resolvers).
    await call('PUT', `namespaces/${tenant}/${service}/schemaCompatibilityStrategy`, 'BACKWARD_TRANSITIVE');
  }
  // The event topics keep their history for replays and rebuilds (@beacon/contracts retention.ts).
  const retention = retentionPolicyFromEnv();
  for (const ns of HISTORY_NAMESPACES) await call('POST', `namespaces/${tenant}/${ns}/retention`, retention);
  const grants = topicGrants();
  for (const [topic, roles] of grants) {
    const path = `persistent/${tenant}/${topic}`;
    await call('PUT', path, undefined, [409]);
    const current = (await (await call('GET', `${path}/permissions`)).json()) as Record<string, string[]>;
    for (const role of Object.keys(current)) {
      if (!roles.has(role)) await call('DELETE', `${path}/permissions/${encodeURIComponent(role)}`);
    }
    for (const [role, actions] of roles) await call('POST', `${path}/permissions/${encodeURIComponent(role)}`, actions);
  }
  await registerSchemas(adminUrl, codecs(), { tenant, token });
}

const quoteIdent = (name: string) => {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`refusing the identifier "${name}"`);
  return `"${name}"`;
};

async function provisionPostgres(superuserUrl: string): Promise<void> {
  const admin = new pg.Client({ connectionString: superuserUrl });
  await admin.connect();
  try {
    for (const service of FLEET_SERVICES) {
      const role = quoteIdent(databaseRole(service));
      const password = databasePassword(service);
      const exists = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [databaseRole(service)]);
      // A password is a literal in these statements (no parameters in utility commands): pg quotes it.
      const literal = admin.escapeLiteral(password);
      const attributes = `LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD ${literal}`;
      await admin.query(exists.rowCount ? `ALTER ROLE ${role} ${attributes}` : `CREATE ROLE ${role} ${attributes}`);
      const url = new URL(superuserUrl);
      url.pathname = `/beacon_${service}`;
      await ensureDatabase(url.toString());
      const database = quoteIdent(`beacon_${service}`);
      await admin.query(`ALTER DATABASE ${database} OWNER TO ${role}`);
      await admin.query(`REVOKE ALL ON DATABASE ${database} FROM PUBLIC`);
      await admin.query(`GRANT CONNECT, TEMPORARY ON DATABASE ${database} TO ${role}`);
      await handOver(url.toString(), role);
    }
  } finally {
    await admin.end();
  }
}

/** Inside a service's database: its public schema and every object in it belong to the service's role. */
async function handOver(databaseUrl: string, role: string): Promise<void> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    await db.query(`ALTER SCHEMA public OWNER TO ${role}`);
    await db.query('REVOKE ALL ON SCHEMA public FROM PUBLIC');
    // Tables made before roles existed (by the superuser) change hands; sequences owned by a column follow their table.
    const { rows } = await db.query<{ kind: string; name: string }>(
      `SELECT CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END AS kind,
              format('%I.%I', n.nspname, c.relname) AS name
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
          AND pg_get_userbyid(c.relowner) <> $1
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'a' AND c.relkind = 'S')`,
      [role.replaceAll('"', '')],
    );
    for (const row of rows) await db.query(`ALTER ${row.kind} ${row.name} OWNER TO ${role}`);
  } finally {
    await db.end();
  }
}

export interface ProvisionOptions {
  pulsarAdminUrl?: string;
  tenant?: string;
  /** A superuser's URL on the server that holds the services' databases. */
  superuserDatabaseUrl?: string;
}

export async function provision(options: ProvisionOptions = {}, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const adminUrl = (options.pulsarAdminUrl ?? env.PULSAR_ADMIN_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
  const tenant = options.tenant ?? env.PULSAR_TENANT ?? 'beacon';
  const token = pulsarTokenFromEnv({ PULSAR_TOKEN_FILE: pulsarTokenFile('admin', env), ...env });
  if (!token) throw new Error('provisioning needs the Pulsar admin token (PULSAR_TOKEN or PULSAR_TOKEN_FILE)');
  await provisionPulsar(adminUrl, tenant, token);
  const superuser =
    options.superuserDatabaseUrl ??
    env.PROVISION_DATABASE_URL ??
    `postgres://${env.PGUSER ?? 'postgres'}@${env.PGHOST ?? '127.0.0.1'}:${env.PGPORT ?? '5432'}/postgres`;
  await provisionPostgres(superuser);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await provision();
  console.log(
    `provisioned: Pulsar grants for ${FLEET_SERVICES.join(', ')}; PostgreSQL roles and databases beacon_<service>`,
  );
}
