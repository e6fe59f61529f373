/**
 * What a slice's projection is: a function per event type applied in the event's transaction, and
 * optionally one that applies a run of them (a hot key's batch) with the effect of one at a time.
 * The slices' maps are gathered by projections.ts.
 */
import type { MessageContext, MessageTypes } from '@beacon/contracts';
import type { Database } from './db.js';

export type Projection<T extends keyof MessageTypes> = (
  ctx: MessageContext<Database, MessageTypes[T]>,
) => Promise<void>;
export type ManyProjection<T extends keyof MessageTypes> = (
  items: Array<MessageContext<Database, MessageTypes[T]>>,
) => Promise<void>;
export type Projections = { [T in keyof MessageTypes]?: Projection<T> };
export type ManyProjections = { [T in keyof MessageTypes]?: ManyProjection<T> };

/** The day (UTC) of an event time; now for an unreadable one. */
export const dayOf = (at: string) =>
  (Number.isNaN(Date.parse(at)) ? new Date() : new Date(at)).toISOString().slice(0, 10);

/** The last item per key, in the order of their last appearance: what a run of overwrites leaves. */
export function lastBy<T>(items: T[], key: (item: T) => string): T[] {
  const last = new Map<string, T>();
  for (const item of items) {
    last.delete(key(item));
    last.set(key(item), item);
  }
  return [...last.values()];
}
