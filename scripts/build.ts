/**
 * `pnpm build`: each service compiled and bundled into one JavaScript file, dist/<service>.mjs,
 * with its dependencies inside (esbuild). The image runs these with plain node: no tsx, no
 * TypeScript, no node_modules. What they read at runtime is copied beside them: the Avro schemas,
 * the console's build and Redoc's bundle (SCHEMAS_DIR, CONSOLE_DIR, REDOC_BUNDLE point there).
 */
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const SERVICES = ['campaign', 'tracking', 'commission', 'payment', 'webhook', 'bff'] as const;
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export async function buildServices(out = join(root, 'dist')): Promise<string> {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints: {
      ...Object.fromEntries(SERVICES.map((s) => [s, join(root, `services/${s}/src/main.ts`)])),
      // compose's one-off set-up job (SERVICE=provision): Pulsar grants, PostgreSQL roles and databases
      provision: join(root, 'scripts/provision.ts'),
    },
    outdir: out,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    sourcemap: true,
    logLevel: 'warning',
    // Optional natives: the native Pulsar driver loads only where its binary installs; pg's native binding is never used.
    external: ['pulsar-client', 'pg-native'],
    // Bundled CommonJS packages call require(); an ES module has none of its own.
    banner: {
      js: "import { createRequire as __beaconRequire } from 'node:module'; const require = __beaconRequire(import.meta.url);",
    },
  });
  cpSync(join(root, 'schemas'), join(out, 'schemas'), { recursive: true });
  const console = join(root, 'apps/console/dist');
  cpSync(console, join(out, 'console'), { recursive: true });
  const redoc = createRequire(join(root, 'services/bff/package.json')).resolve('redoc/bundles/redoc.standalone.js');
  cpSync(redoc, join(out, 'redoc.standalone.js'));
  return out;
}

/** The environment a bundled service needs to find its files in `out`. */
export const builtEnv = (out: string) => ({
  SCHEMAS_DIR: join(out, 'schemas'),
  CONSOLE_DIR: join(out, 'console'),
  REDOC_BUNDLE: join(out, 'redoc.standalone.js'),
});

if (import.meta.url === `file://${process.argv[1]}`) {
  const out = await buildServices(process.argv[2]);
  console.log(`built ${SERVICES.map((s) => `${s}.mjs`).join(', ')} and their files into ${out}`);
}
