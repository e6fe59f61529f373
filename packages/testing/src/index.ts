/**
 * given/when/then for every decider of the one shape (`Decider` in @beacon/messaging), Emmett
 * style: given a state (or, for an event-sourced decider, the past events `evolve` folds into one),
 * when a command, then the events it emits and the state it leaves, or nothing at all. A batch
 * decider is given its facts, as built by hand or as its store loads them (`givenFacts`, async).
 * Specs read like the business rules they check.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Decider } from '@beacon/messaging';

export function deciderSpec<State, Command, Event>(
  decider: Decider<State, Command, Event> & { evolve?: (state: State, event: Event) => State },
) {
  const checks = (state: State, command: Command) => {
    const run = () => decider.decide(command, state);
    return {
      /** These events, in order; and, when given, this state after them. */
      then(expected: Event[], after?: State): void {
        const decision = run();
        expect(decision.events).toEqual(expected);
        if (after !== undefined) expect(decision.state).toEqual(after);
      },
      /** The events and the state after them, for checks that name only part of them. */
      thenDecision(check: (events: Event[], state: State) => void): void {
        const decision = run();
        check(decision.events, decision.state);
      },
      /** No event, and the very state it was given (so `update` writes nothing). */
      thenNothingHappened(): void {
        const decision = run();
        expect(decision.events).toEqual([]);
        expect(decision.state).toBe(state);
      },
      thenThrows(message: string | RegExp): void {
        expect(run).toThrow(message);
      },
    };
  };
  type Checks = ReturnType<typeof checks>;
  /** The same checks, on a state a store loads (facts read from a real database): each answers a promise. */
  type AsyncChecks = { [K in keyof Checks]: (...args: Parameters<Checks[K]>) => Promise<void> };
  const from = (state: State) => ({ when: (command: Command) => checks(state, command) });
  return {
    given: (state: State) => from(state),
    givenNothing: () => from(decider.initialState()),
    givenEvents(events: Event[]) {
      const evolve = decider.evolve;
      if (!evolve) throw new Error('givenEvents needs an event-sourced decider (one with evolve)');
      return from(events.reduce(evolve, decider.initialState()));
    },
    /** Facts loaded for the command (a batch's store, on a real database), then the same checks. */
    givenFacts(load: (command: Command) => Promise<State>) {
      return {
        when(command: Command): AsyncChecks {
          const later =
            <K extends keyof Checks>(name: K) =>
            async (...args: Parameters<Checks[K]>): Promise<void> => {
              const check = checks(await load(command), command)[name] as (...a: Parameters<Checks[K]>) => void;
              check(...args);
            };
          return {
            then: later('then'),
            thenDecision: later('thenDecision'),
            thenNothingHappened: later('thenNothingHappened'),
            thenThrows: later('thenThrows'),
          };
        },
      };
    },
  };
}

/** Polls `probe` until it returns a value that is not undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs = 20000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Reads an eventually consistent value (a read model) until it equals `expected`, or `timeoutMs`
 * pass, and returns the last value read: the caller's `expect` then shows what differs.
 */
export async function settledValue<T>(read: () => Promise<T>, expected: T, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!isDeepStrictEqual(value, expected) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    value = await read();
  }
  return value;
}

/** Every handler a service subscribes, by message type: what a test delivers messages to. */
export function handlersOf<H extends object>(service: { subscriptions(ctx: never): Array<{ handlers: H }> }): H {
  return Object.assign({}, ...service.subscriptions({} as never).map((s) => s.handlers)) as H;
}

export { deliver, deliverMany, type Emitted } from './handlers.js';
export { freshServiceDatabase, recreateDatabase, TEST_PG_URL } from './database.js';
export { campaignCreated, recordCommand, recordedEvent, USD } from './fixtures.js';
