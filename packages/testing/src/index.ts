/**
 * given/when/then for deciders (Emmett style): state is rebuilt from past events with `evolve`,
 * then a command is decided. Specs read like the business rules they check.
 */
import { isDeepStrictEqual } from 'node:util';

export interface Decider<State, Command, Event> {
  initialState: () => State;
  decide: (command: Command, state: State) => Event[];
  evolve: (state: State, event: Event) => State;
}

export function deciderSpec<State, Command, Event>(decider: Decider<State, Command, Event>) {
  return {
    given(events: Event[]) {
      const state = events.reduce(decider.evolve, decider.initialState());
      return {
        when(command: Command) {
          const run = () => decider.decide(command, state);
          return {
            then(expected: Event[]): void {
              expect(run()).toEqual(expected);
            },
            thenThrows(message: string | RegExp): void {
              expect(run).toThrow(message);
            },
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
