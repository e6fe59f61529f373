/**
 * Retiring topics: proves that nothing is left on them, then removes the fleet's subscriptions.
 *
 *   npm run retire-topics -- check  tracking/commands tracking/events   exit 1 unless drained
 *   npm run retire-topics -- retire tracking/commands tracking/events   the same check, then the subscriptions go
 *
 * Drained means: no producer is connected, and every subscription has read and acknowledged every
 * message (backlog 0). Run `check` while the previous release, which still consumes the topics, is up;
 * deploy the release without their consumers; then `retire`. A topic nothing writes to keeps its
 * messages for the namespace's retention (its schema stays in schemas/ so its history stays readable).
 */
import { pulsarAuthHeaders, pulsarTopic } from '@beacon/messaging';
import { actAsAdmin } from './lib/secrets.js';

// Topic stats and subscription removal are admin operations.
actAsAdmin();

const adminUrl = (process.env.PULSAR_ADMIN_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
const [command, ...topics] = process.argv.slice(2).filter((a) => a !== '--');
if (!command || !['check', 'retire'].includes(command) || topics.length === 0) {
  console.error('usage: npm run retire-topics -- check|retire <context>/<kind> ...');
  process.exit(2);
}

interface TopicStats {
  publishers?: unknown[];
  msgInCounter?: number;
  subscriptions?: Record<string, { msgBacklog?: number; consumers?: unknown[] }>;
}

const pathOf = (topic: string) => pulsarTopic(topic).replace(/^persistent:\/\//, '');

async function stats(topic: string): Promise<TopicStats | undefined> {
  const response = await fetch(`${adminUrl}/admin/v2/persistent/${pathOf(topic)}/stats`, {
    headers: pulsarAuthHeaders(),
  });
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`stats of ${topic}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as TopicStats;
}

let drained = true;
const subscriptionsOf = new Map<string, string[]>();
for (const topic of topics) {
  const s = await stats(topic);
  if (!s) {
    console.log(`${topic}: no such topic (nothing to drain)`);
    continue;
  }
  const subscriptions = Object.entries(s.subscriptions ?? {});
  subscriptionsOf.set(
    topic,
    subscriptions.map(([name]) => name),
  );
  const producers = s.publishers?.length ?? 0;
  const waiting = subscriptions.filter(([, sub]) => (sub.msgBacklog ?? 0) > 0);
  console.log(
    `${topic}: ${producers} producer(s) connected; ${subscriptions.length} subscription(s): ${
      subscriptions.map(([name, sub]) => `${name} backlog ${sub.msgBacklog ?? 0}`).join(', ') || 'none'
    }`,
  );
  if (producers > 0 || waiting.length > 0) drained = false;
}
if (!drained) {
  console.error('not drained: a producer is connected or a subscription still has messages to read');
  process.exit(1);
}
console.log('drained: nothing is written to these topics and every subscription has read everything');

if (command === 'retire') {
  for (const [topic, subscriptions] of subscriptionsOf)
    for (const subscription of subscriptions) {
      // force=false: the broker refuses while a consumer is still connected, so a running old release is not cut off.
      const response = await fetch(
        `${adminUrl}/admin/v2/persistent/${pathOf(topic)}/subscription/${encodeURIComponent(subscription)}`,
        { method: 'DELETE', headers: pulsarAuthHeaders() },
      );
      if (!response.ok) {
        console.error(`${topic}: removing ${subscription} failed: HTTP ${response.status} ${await response.text()}`);
        process.exit(1);
      }
      console.log(`${topic}: removed subscription ${subscription}`);
    }
}
