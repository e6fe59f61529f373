/**
 * The naive baseline: express, JSON body, one INSERT per request into a table shaped like
 * tracking_events (with its indexes), 202. No auth, no broker, no validation beyond JSON.
 *   tsx bench/naive-server.ts <port> <database url>
 */
import express from 'express';
import pg from 'pg';

const [port, databaseUrl] = [
  Number(process.argv[2] ?? 18600),
  process.argv[3] ?? 'postgres://postgres@127.0.0.1:5432/beacon_bench',
];
const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
await pool.query(`CREATE TABLE IF NOT EXISTS naive_events (event_id text PRIMARY KEY, type text NOT NULL, campaign_id text NOT NULL,
  visitor_id text NOT NULL, occurred_at text NOT NULL, properties jsonb, received_at timestamptz NOT NULL DEFAULT now())`);
await pool.query('CREATE INDEX IF NOT EXISTS naive_by_campaign ON naive_events (campaign_id, occurred_at)');
await pool.query('TRUNCATE naive_events');
const app = express();
app.use(express.json());
let n = 0;
app.post('/events', async (req, res) => {
  const e = req.body as { type: string; campaignId: string; visitorId: string; properties?: unknown };
  const id = `${process.pid}-${n++}`;
  await pool.query(
    'INSERT INTO naive_events (event_id, type, campaign_id, visitor_id, occurred_at, properties) VALUES ($1, $2, $3, $4, $5, $6)',
    [id, e.type, e.campaignId, e.visitorId, new Date().toISOString(), JSON.stringify(e.properties ?? {})],
  );
  res.status(202).json({ id });
});
app.listen(port, '127.0.0.1', () => console.log(`naive baseline on ${port}`));
