/**
 * Runs the whole fleet on this machine: Pulsar (unless PULSAR_URL/PULSAR_ADMIN_URL name one),
 * the five databases, the five services; prints the BFF URL and development tokens.
 *
 *   npm run fleet            stays up until Ctrl-C, then stops everything cleanly
 *   npm run fleet -- --replicas 2   the same with two replicas of every service, the BFF included
 *   npm run demo             brings the fleet up, replays the demo scenario, stops, exits with its result
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mintDevToken } from '@beacon/bff-service/dev-token';
import { builtEnv } from './build.js';
import { provision } from './provision.js';
import { serviceSecretsEnv } from './lib/secrets.js';
import { defined } from '@beacon/domain';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SERVICES = [
  { name: 'campaign', ops: 9101 },
  { name: 'tracking', ops: 9102 },
  { name: 'commission', ops: 9103 },
  { name: 'payment', ops: 9104 },
  { name: 'webhook', ops: 9105 },
  { name: 'bff', ops: 9100 },
];

export type ServiceName = 'campaign' | 'tracking' | 'commission' | 'payment' | 'webhook' | 'bff';

export interface Fleet {
  /** The first BFF replica's URL. */
  baseUrl: string;
  /** Every BFF replica's URL (a load balancer would spread clients over them). */
  baseUrls: string[];
  /** Each replica's ops URL (/metrics, /readyz) of a service, replica 0 first. */
  opsUrls(service: ServiceName): string[];
  stop(): Promise<void>;
  /** kill -9 one replica of a service (fault tests): no shutdown, no flush, in-flight work lost mid-transaction. */
  kill(service: ServiceName, replica?: number): Promise<void>;
  /** Starts a killed replica again and waits until it is ready. */
  restart(service: ServiceName, replica?: number): Promise<void>;
}

/** Every process below `pid` (tsx starts the service as a child node process). */
function descendants(pid: number): number[] {
  let found: number[] = [];
  try {
    const kids = execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
    for (const kid of kids) found = [...found, ...descendants(kid), kid];
  } catch {
    // no children
  }
  return found;
}

/** The last lines of a service's log, so a failed start says why where it is reported (a CI log). */
function logTail(logFile: string, lines = 15): string {
  try {
    return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

async function waitReady(
  url: string,
  child: ChildProcess,
  name: string,
  logFile: string,
  timeoutMs = 90_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`${name} exited with code ${child.exitCode}; the end of ${logFile}:\n${logTail(logFile)}`);
    }
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(2000) })).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${name} not ready at ${url} after ${timeoutMs} ms; the end of ${logFile}:\n${logTail(logFile)}`);
}

export interface FleetOptions {
  bffPort?: number;
  opsPortBase?: number;
  logDir?: string;
  quiet?: boolean;
  /** Run the services compiled by `pnpm build` from this folder with plain node, as the image does. */
  built?: string;
  /** More environment for every service (a test's own limits, say). */
  env?: Record<string, string>;
  /** Flags for node itself, with `built` (node refuses some in NODE_OPTIONS, --cpu-prof among them). */
  nodeArgs?: string[];
  /**
   * Processes per service, the BFF included (default 1). Replica r listens on the BFF port + r and
   * on ops ports base + 6 r + 0…5 (two replicas take twelve ports: a fleet's block of ten and two more).
   */
  replicas?: number;
}

export async function startFleet(options: FleetOptions = {}): Promise<Fleet> {
  const bffPort = options.bffPort ?? Number(process.env.BFF_PORT ?? 8000);
  // Ops ports are base + 0 (bff) … base + 5 (webhook); another base lets a second fleet run beside the first.
  const replicas = options.replicas ?? 1;
  const opsPort = (service: { ops: number }, replica = 0) =>
    service.ops - 9100 + (options.opsPortBase ?? 9100) + 6 * replica;
  const bffPortOf = (replica: number) => bffPort + replica;
  const logDir = options.logDir ?? join(root, '.fleet', 'logs');
  const say = (line: string) => !options.quiet && console.log(line);
  execFileSync(join(root, 'scripts/pulsar.sh'), ['start'], { stdio: options.quiet ? 'ignore' : 'inherit' });
  await provision();
  mkdirSync(logDir, { recursive: true });
  const children = new Map<string, ChildProcess>();
  const logFile = (name: string, replica = 0) => join(logDir, replica === 0 ? `${name}.log` : `${name}-${replica}.log`);
  const childKey = (name: string, replica: number) => `${name}#${replica}`;
  const spawnService = (service: (typeof SERVICES)[number], replica = 0) => {
    // The service writes its log file itself: piped through this process, a busy runner (a load
    // generator in the same process) would fill the pipe and stall the service's synchronous log writes.
    const log = openSync(logFile(service.name, replica), 'a');
    const [command, args, files] = options.built
      ? [
          process.execPath,
          ['--enable-source-maps', ...(options.nodeArgs ?? []), join(options.built, `${service.name}.mjs`)],
          builtEnv(options.built),
        ]
      : [join(root, 'node_modules/.bin/tsx'), [join(root, `services/${service.name}/src/main.ts`)], {}];
    const child = spawn(command, args, {
      cwd: root,
      env: {
        ...process.env,
        // Development is explicit (the development JWT secret, POST /dev/token, cookies over plain HTTP).
        BEACON_ENV: process.env.BEACON_ENV ?? 'development',
        ...serviceSecretsEnv(service.name),
        ...options.env,
        ...files,
        OPS_PORT: String(opsPort(service, replica)),
        BFF_PORT: String(bffPortOf(replica)),
      },
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    children.set(childKey(service.name, replica), child);
    return child;
  };
  const ready = async (service: (typeof SERVICES)[number], replica = 0) => {
    const child = defined(children.get(childKey(service.name, replica)), `the ${service.name} process`);
    const log = logFile(service.name, replica);
    await waitReady(`http://127.0.0.1:${opsPort(service, replica)}/readyz`, child, service.name, log);
    if (service.name === 'bff')
      await waitReady(`http://127.0.0.1:${bffPortOf(replica)}/readyz`, child, 'bff http', log);
  };
  const replicaList = Array.from({ length: replicas }, (_, r) => r);
  const exited = (child: ChildProcess, signal: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  const stop = async () => {
    await Promise.all(
      [...children.values()].map((child) => {
        setTimeout(() => child.kill('SIGKILL'), 20_000).unref();
        return exited(child, 'SIGTERM');
      }),
    );
  };
  try {
    for (const service of SERVICES) for (const r of replicaList) spawnService(service, r);
    for (const service of SERVICES)
      for (const r of replicaList) {
        await ready(service, r);
        say(`  ✓ ${service.name}${replicas > 1 ? ` replica ${r}` : ''} ready (ops port ${opsPort(service, r)})`);
      }
  } catch (error) {
    await stop();
    throw error;
  }
  say(`logs: ${logDir}/<service>.log`);
  const definition = (name: ServiceName) =>
    defined(
      SERVICES.find((s) => s.name === name),
      `service ${name}`,
    );
  return {
    baseUrl: `http://localhost:${bffPort}`,
    baseUrls: replicaList.map((r) => `http://localhost:${bffPortOf(r)}`),
    opsUrls: (name) => replicaList.map((r) => `http://127.0.0.1:${opsPort(definition(name), r)}`),
    stop,
    kill: async (name, replica = 0) => {
      // tsx runs the service in a child node process: kill the whole process group would be cleaner,
      // but the service is what must die without a chance to clean up.
      const child = defined(children.get(childKey(name, replica)), `the ${name} process`);
      for (const pid of child.pid ? descendants(child.pid) : []) process.kill(pid, 'SIGKILL');
      await exited(child, 'SIGKILL');
    },
    restart: async (name, replica = 0) => {
      spawnService(definition(name), replica);
      await ready(definition(name), replica);
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const demo = process.argv.includes('--demo');
  const replicasAt = process.argv.indexOf('--replicas');
  const replicas = replicasAt > 0 ? Number(process.argv[replicasAt + 1]) : 1;
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 2)
    throw new Error('--replicas takes 1 or 2 (two replicas fit in a fleet’s block of ports)');
  const fleet = await startFleet({ replicas });
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log('stopping the fleet…');
    await fleet.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  if (demo) {
    const { runDemo } = await import('./demo.js');
    const ok = await runDemo(fleet.baseUrl).catch((error: unknown) => {
      console.error(error);
      return false;
    });
    await shutdown(ok ? 0 : 1);
  } else {
    console.log(
      `\nBFF: ${fleet.baseUrl}  (docs: ${fleet.baseUrl}/docs)\n` +
        `console: ${fleet.baseUrl}/app/  (development sign-in: pick a role and an id)\n\ndevelopment tokens:`,
    );
    for (const [sub, roles, brand] of [
      ['admin-1', ['admin']],
      ['brand-1', ['brand']],
      ['inf-1', ['influencer']],
      ['ingest-1', ['ingest'], 'brand-1'],
    ] as const) {
      console.log(`  ${sub.padEnd(9)} ${await mintDevToken({ sub, roles: [...roles], brand })}`);
    }
    console.log('\nCtrl-C stops everything.');
  }
}
