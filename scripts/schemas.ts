/**
 * pnpm schemas:gen    writes packages/contracts/src/generated.ts from schemas/**\/*.avsc
 * pnpm schemas:check  fails when generated.ts is stale, or when a schema change is not compatible
 *                     (both directions) with the previous committed version of that file
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTopicSchemas } from '../packages/messaging/src/codec.js';
import { generateTypes } from './lib/avro-to-ts.js';
import { compatibilityProblems } from './lib/compat.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const schemasDir = join(root, 'schemas');
const generatedFile = join(root, 'packages/contracts/src/generated.ts');

function git(args: string[]): string {
  return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
}

/** The latest committed content of `file` that differs from `current` (undefined for a new file). */
function previousVersion(file: string, current: string): string | undefined {
  let commits: string[];
  try {
    commits = git(['log', '--format=%H', '--', file]).split('\n').filter(Boolean);
  } catch {
    return undefined;
  }
  for (const commit of commits) {
    const content = git(['show', `${commit}:${file}`]);
    if (content !== current) return content;
  }
  return undefined;
}

function generate(): void {
  writeFileSync(generatedFile, generateTypes(loadTopicSchemas(schemasDir)));
  console.log(`wrote ${relative(root, generatedFile)}`);
}

function check(): void {
  let failed = false;
  const topics = loadTopicSchemas(schemasDir);
  const expected = generateTypes(topics);
  let actual = '';
  try {
    actual = readFileSync(generatedFile, 'utf8');
  } catch {
    // missing counts as stale
  }
  if (actual !== expected) {
    console.error(`✗ ${relative(root, generatedFile)} is not current: run pnpm schemas:gen and commit it`);
    failed = true;
  } else {
    console.log(`✓ ${relative(root, generatedFile)} is current`);
  }
  if (git(['rev-parse', '--is-shallow-repository']).trim() === 'true') {
    console.warn('! shallow clone: compatibility is checked only against the history that is present');
  }
  for (const topic of topics) {
    const file = relative(root, topic.file);
    const current = readFileSync(topic.file, 'utf8');
    const previous = previousVersion(file, current);
    if (previous === undefined) {
      console.log(`✓ ${file}: no earlier committed version differs`);
      continue;
    }
    const problems = compatibilityProblems(JSON.parse(previous), JSON.parse(current));
    if (problems.length === 0) console.log(`✓ ${file}: compatible both ways with the previous committed version`);
    else {
      failed = true;
      for (const problem of problems) console.error(`✗ ${file}: ${problem}`);
    }
  }
  if (failed) process.exit(1);
}

const command = process.argv[2];
if (command === 'generate') generate();
else if (command === 'check') check();
else {
  console.error('usage: tsx scripts/schemas.ts generate|check');
  process.exit(2);
}
