// Integration and end-to-end tests use the real broker and database: start Pulsar standalone
// unless one answers (or PULSAR_URL/PULSAR_ADMIN_URL name a cluster), then provision it and the
// databases (roles, grants) as the fleet needs them.
// (Jest loads this file without the workspace's TypeScript packages, so it stays self-contained.)
import { execFileSync } from 'node:child_process';
import pg from 'pg';

export default async function globalSetup(): Promise<void> {
  execFileSync('scripts/pulsar.sh', ['start'], { stdio: 'inherit' });
  execFileSync('node_modules/.bin/tsx', ['scripts/provision.ts'], { stdio: 'inherit' });
  const probe = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
  await probe.connect().catch((error: Error) => {
    throw new Error(
      `PostgreSQL does not answer (${error.message}); start it with: ` +
        'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
    );
  });
  await probe.end();
}
