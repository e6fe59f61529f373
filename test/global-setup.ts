// Integration tests need the real broker: start Pulsar standalone unless one already answers.
import { execFileSync } from 'node:child_process';

export default async function globalSetup(): Promise<void> {
  execFileSync('scripts/pulsar.sh', ['start'], { stdio: 'inherit' });
}
