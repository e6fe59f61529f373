/**
 * A flow's timeline: its steps in causal order. A tracking flow's batch messages are not steps of
 * their own; they are read back from the read model (which command batch carried its items, which
 * event batch recorded them).
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db.js';
import { TRACKING_COMMAND } from './claims.js';

export interface Step {
  messageId: string;
  causationId: string;
  kind: 'command' | 'event';
  type: string;
  service: string;
  occurredAt: string;
}

/** Parents before children (a depth-first walk from the roots), siblings by time, each with its depth in the flow. */
export function causalOrder(steps: Step[]): Array<Step & { depth: number }> {
  const byParent = new Map<string, Step[]>();
  const ids = new Set(steps.map((s) => s.messageId));
  for (const s of steps) {
    const parent = ids.has(s.causationId) && s.causationId !== s.messageId ? s.causationId : '';
    byParent.set(parent, [...(byParent.get(parent) ?? []), s]);
  }
  const ordered: Array<Step & { depth: number }> = [];
  const seen = new Set<string>();
  const walk = (parent: string, depth: number) => {
    for (const s of (byParent.get(parent) ?? []).sort((a, b) => a.occurredAt.localeCompare(b.occurredAt))) {
      if (seen.has(s.messageId)) continue;
      seen.add(s.messageId);
      ordered.push({ ...s, depth });
      walk(s.messageId, depth + 1);
    }
  };
  walk('', 0);
  return ordered;
}

/**
 * A tracking flow's batch messages, read back from the read model: which command batch carried its
 * items, which event batch recorded them.
 */
export async function trackingSteps(db: Kysely<Database>, correlationId: string, startedAt: Date): Promise<Step[]> {
  const batches = await sql<{ command_message_id: string; recorded_message_id: string; recorded_at: string }>`
    SELECT command_message_id, recorded_message_id, min(recorded_at) AS recorded_at FROM (
      SELECT command_message_id, recorded_message_id, recorded_at FROM rm_tracking_events WHERE correlation_id = ${correlationId}
      UNION ALL SELECT command_message_id, recorded_message_id,
        recorded_at FROM rm_ignored_events WHERE correlation_id = ${correlationId}) b
    GROUP BY command_message_id, recorded_message_id`.execute(db);
  const steps = new Map<string, Step>();
  for (const b of batches.rows) {
    steps.set(b.command_message_id, {
      messageId: b.command_message_id,
      causationId: '',
      kind: 'command',
      type: TRACKING_COMMAND,
      service: 'bff',
      occurredAt: startedAt.toISOString(),
    });
    steps.set(b.recorded_message_id, {
      messageId: b.recorded_message_id,
      causationId: b.command_message_id,
      kind: 'event',
      // The step's name, whichever version of the batch carried it (V2 since customers and codes).
      type: 'tracking.TrackingEventsRecorded',
      service: 'tracking',
      occurredAt: b.recorded_at,
    });
  }
  return [...steps.values()];
}
