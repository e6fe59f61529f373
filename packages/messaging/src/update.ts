/**
 * The load → decide → save → emit cycle every service runs on one aggregate (a campaign, a
 * commission, a payout), in the handler's transaction. The decision is a pure function of the state
 * loaded; the store says how the state is read (locked for update) and written.
 */
import type { Transaction } from 'kysely';
import type { HandlerContext, MessageTypeMap } from './runner.js';
import { defined } from '@beacon/domain';

/**
 * One message a decision emits: its type and its payload, as the contracts type them. A batch
 * decider names, per event, the key and the flow (correlation id) of the item that caused it.
 */
export type Emission<Types extends object = MessageTypeMap> = {
  [T in keyof Types & string]: { type: T; data: Types[T]; key?: string; correlationId?: string };
}[keyof Types & string];

/** What a decider answers: the state after the command, and the events that say what happened. */
export interface Decision<S, E> {
  state: S;
  events: E[];
}

/**
 * The one shape of a decider: a command decided on the aggregate's state, answering the state after
 * it and the events that say what happened. Pure; `update` runs it on a store. The batch form is the
 * same shape: the command is a batch's items, the state the facts its store loaded for them.
 */
export interface Decider<S, C, E> {
  initialState: () => S;
  decide: (command: C, state: S) => Decision<S, E>;
}

/**
 * An event-sourced decider (its `decide` answers events, `evolve` folds each into the state) in the
 * one shape. Its `evolve` stays, so a spec can rebuild a state from past events.
 */
export function evolving<S, C, E>(decider: {
  initialState: () => S;
  decide: (command: C, state: S) => E[];
  evolve: (state: S, event: E) => S;
}): Decider<S, C, E> & { evolve: (state: S, event: E) => S } {
  return {
    initialState: decider.initialState,
    evolve: decider.evolve,
    decide(command, state) {
      const events = decider.decide(command, state);
      return { state: events.reduce(decider.evolve, state), events };
    },
  };
}

/** A decision that changes nothing and tells nobody (a redelivery, a step the aggregate is past). */
export const unchanged = <S, E>(state: S): Decision<S, E> => ({ state, events: [] });

/**
 * Where an aggregate lives: `load` locks it for the transaction; `save` writes what changed. A
 * batch's store is made for its items, and loads the facts about them in a few set-based statements.
 */
export interface Store<DB, S> {
  load(trx: Transaction<DB>): Promise<S>;
  save(trx: Transaction<DB>, next: S, before: S): Promise<void>;
}

/**
 * Loads the aggregate, decides, saves the new state when it changed (by identity: a decider returns
 * the state it was given when nothing changes) and emits the events. Each is keyed by `key`, or by its
 * own (a batch whose events all name their own passes none), in the flow `correlationId` names, or
 * in its own when a batch's item caused it. Returns the events.
 */
export async function update<DB, Types extends object, S, E extends Emission<Types>>(
  ctx: HandlerContext<DB, unknown, Types>,
  store: Store<DB, S>,
  key: string | undefined,
  decide: (state: S) => Decision<S, E>,
  flow?: { correlationId?: string },
): Promise<E[]> {
  const before = await store.load(ctx.trx);
  const { state, events } = decide(before);
  if (state !== before) await store.save(ctx.trx, state, before);
  for (const event of events)
    await ctx.emit(event.type, defined(event.key ?? key, 'a key'), event.data, event.correlationId ? event : flow);
  return events;
}
