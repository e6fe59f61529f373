/**
 * What cannot run here (no Docker engine) is checked as text: the Grafana dashboard asks only for
 * metrics the services really export, and the image and compose file keep the properties their
 * comments promise. `docker-compose config` validates the compose file in CI where it installs.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { createMetrics } from '@beacon/service-kit';

const read = (path: string) => readFileSync(path, 'utf8');

describe('the Grafana dashboard', () => {
  const dashboard = JSON.parse(read('deploy/grafana/dashboards/beacon.json')) as {
    panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
  };

  it('charts only metrics that every service exports', async () => {
    const exported = new Set((await createMetrics('any').registry.getMetricsAsJSON()).map((m) => m.name));
    const asked = dashboard.panels.flatMap((p) => p.targets.flatMap((t) => t.expr.match(/beacon_\w+/g) ?? []));
    const families = asked.map((name) => name.replace(/_(bucket|sum|count)$/, ''));
    expect(families.length).toBeGreaterThan(0);
    expect(families.filter((name) => !exported.has(name))).toEqual([]);
  });

  it('shows the ingest rate, handler latency, outbox lag and dead-lettered messages', () => {
    const titles = dashboard.panels.map((p) => p.title.toLowerCase()).join(' | ');
    for (const topic of ['ingest rate', 'handler latency', 'outbox lag', 'dead-lettered'])
      expect(titles).toContain(topic);
  });
});

describe('the image', () => {
  const dockerfile = read('deploy/Dockerfile');
  const finalStage = dockerfile
    .slice(dockerfile.lastIndexOf('\nFROM '))
    .split('\n')
    .filter((line) => !line.startsWith('#'))
    .join('\n');

  it('builds in a stage of its own and runs compiled JavaScript as a non-root user with a health check', () => {
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    expect(finalStage).toMatch(/^USER node$/m);
    expect(finalStage).toMatch(/^HEALTHCHECK /m);
    expect(finalStage).toMatch(/node --enable-source-maps \/app\/\$\{SERVICE\}\.mjs/);
    expect(finalStage).not.toMatch(/tsx|jest|typescript|node_modules/);
  });

  it('pins pnpm to the packageManager field and uses a Node LTS line still in support', () => {
    const { packageManager } = JSON.parse(read('package.json')) as { packageManager: string };
    expect(dockerfile).toContain(`npm install -g ${packageManager}`);
    expect(dockerfile).toMatch(/ARG NODE_IMAGE=node:(22|24)-/);
  });
});

describe('the compose file', () => {
  const compose = read('docker-compose.yml');
  type Service = {
    ports?: string[];
    environment?: Record<string, string>;
    depends_on?: Record<string, { condition: string }>;
  };
  const services = (parse(compose, { merge: true }) as { services: Record<string, Service> }).services;
  const fleet = ['bff', 'campaign', 'tracking', 'commission', 'payment', 'webhook'];

  it('starts no service before the set-up job has succeeded, and that job cannot hide a failed step', () => {
    expect(compose).not.toContain('|| true');
    for (const name of fleet)
      expect(services[name]?.depends_on?.provision?.condition).toBe('service_completed_successfully');
  });

  it("publishes the BFF's port only: Pulsar, PostgreSQL, Prometheus and Grafana stay internal", () => {
    const published = Object.entries(services).filter(([, s]) => s.ports?.length);
    expect(published.map(([name, s]) => [name, s.ports])).toEqual([['bff', ['8000:8000']]]);
  });

  it('has no default secret: every variable it reads is required', () => {
    const interpolations = compose.match(/\$\{[^}]*\}/g) ?? [];
    expect(interpolations.length).toBeGreaterThan(10);
    expect(interpolations.filter((i) => !/^\$\{[A-Z0-9_]+:\?[^}]+\}$/.test(i))).toEqual([]);
    expect(compose).not.toMatch(/dev-secret|trust/);
  });

  it('gives each service its own Pulsar token and its own PostgreSQL role; only set-up is admin', () => {
    const tokens = fleet.map((name) => services[name]?.environment?.PULSAR_TOKEN);
    expect(new Set(tokens).size).toBe(fleet.length);
    for (const name of fleet) {
      const url = services[name]?.environment?.[`${name.toUpperCase()}_DATABASE_URL`] ?? '';
      expect(url).toMatch(
        new RegExp(`^postgres://beacon_${name}:\\$\\{[A-Z_]+:\\?[^}]+\\}@postgres:5432/beacon_${name}$`),
      );
    }
    expect(services.provision?.environment?.PULSAR_TOKEN).toContain('PULSAR_ADMIN_TOKEN');
    expect(services.postgres?.environment?.POSTGRES_HOST_AUTH_METHOD).toBe('scram-sha-256');
    expect(services.grafana?.environment?.GF_AUTH_ANONYMOUS_ENABLED).toBe('false');
  });

  it('keeps Pulsar and PostgreSQL data in volumes and puts observability behind a profile', () => {
    expect(compose).toContain('pulsar-data:/pulsar/data');
    expect(compose).toContain('pg-data:/var/lib/postgresql/data');
    expect(compose.match(/profiles: \[observability\]/g)).toHaveLength(2);
  });
});
