/**
 * Sends a JSONL file of tracking events through the BFF at a given rate.
 *
 *   npm run replay -- events.jsonl [--rate 50] [--campaign <id>] [--url http://localhost:8000] [--token <jwt>]
 *
 * One JSON object per line, in the body shape of POST /api/v1/tracking/events. Without --token a
 * development ingest token is minted; --campaign fills campaignId where a line has none
 * (scripts/data/sample-events.jsonl is written that way). Lines that are not JSON or are refused are reported, not fatal.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { mintDevToken } from '@beacon/bff-service/dev-token';
import { createBeaconClient, type Schemas } from '@beacon/api-client';

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

const file = process.argv.slice(2).find((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--'));
if (!file) {
  console.error(
    'usage: npm run replay -- <events.jsonl> [--rate <events per second>] [--campaign <id>] [--url <bff url>] ' +
      '[--token <jwt> | --brand <brand id, default brand-1>]',
  );
  process.exit(2);
}
const rate = Number(option('rate') ?? 50);
if (!(rate > 0)) {
  console.error('--rate must be a positive number');
  process.exit(2);
}
const baseUrl = option('url') ?? `http://localhost:${process.env.BFF_PORT ?? 8000}`;
const token =
  option('token') ?? (await mintDevToken({ sub: 'replay', roles: ['ingest'], brand: option('brand') ?? 'brand-1' }));
const client = createBeaconClient({ baseUrl, token });

const started = Date.now();
let sent = 0;
let accepted = 0;
const refused: string[] = [];
let lineNo = 0;
for await (const line of createInterface({ input: createReadStream(file) })) {
  lineNo++;
  if (!line.trim()) continue;
  // A line is the BFF's to judge: sent as the contract's event shape, refused there if it is not one.
  let body: Schemas['TrackingEvent'];
  try {
    const parsed: unknown = JSON.parse(line);
    const campaign = option('campaign');
    const fill = campaign && parsed && typeof parsed === 'object' && !('campaignId' in parsed);
    body = (fill ? { ...parsed, campaignId: campaign } : parsed) as Schemas['TrackingEvent'];
  } catch {
    refused.push(`line ${lineNo}: not JSON`);
    continue;
  }
  // Pace by schedule, not by sleeping a fixed gap, so slow responses do not lower the rate.
  const due = started + (sent / rate) * 1000;
  if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
  sent++;
  const reply = await client.POST('/api/v1/tracking/events', { body }).catch((error: Error) => {
    console.error(`the BFF at ${baseUrl} is not reachable (${error.message}); start the fleet with npm run fleet`);
    process.exit(1);
  });
  if (reply.response.status === 202) accepted++;
  else
    refused.push(
      `line ${lineNo}: HTTP ${reply.response.status} ${JSON.stringify(reply.error?.errors ?? reply.error?.detail ?? '')}`,
    );
}
const seconds = (Date.now() - started) / 1000;
console.log(
  `sent ${sent} events in ${seconds.toFixed(1)} s (${(sent / Math.max(seconds, 0.001)).toFixed(1)}/s): ` +
    `${accepted} accepted, ${refused.length} refused`,
);
for (const r of refused.slice(0, 20)) console.log(`  ${r}`);
process.exit(refused.length > 0 && accepted === 0 ? 1 : 0);
