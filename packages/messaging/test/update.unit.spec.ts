/** The load → decide → save → emit cycle, with a store and an outbox that only record what they are asked. */
import type { Transaction } from 'kysely';
import pino from 'pino';
import { newFlowEnvelope } from '../src/envelope.js';
import type { HandlerContext } from '../src/runner.js';
import { evolving, update, type Store } from '../src/update.js';

type Types = { 'test.Counted': { total: number } };
type Counter = { total: number };

function recording(initial: Counter) {
  const saved: Array<{ next: Counter; before: Counter }> = [];
  const emitted: Array<{ type: string; key: string; data: unknown; flow?: { correlationId?: string } }> = [];
  const store: Store<unknown, Counter> = {
    load: async () => initial,
    save: async (_trx, next, before) => void saved.push({ next, before }),
  };
  const ctx: HandlerContext<unknown, unknown, Types> = {
    trx: {} as Transaction<unknown>,
    message: undefined,
    envelope: newFlowEnvelope({ messageType: 'test.Count', schemaVersion: 'v', producer: 'test' }),
    log: pino({ level: 'silent' }),
    emit: async (type, key, data, flow) => {
      emitted.push({ type, key, data, flow });
      return newFlowEnvelope({ messageType: type, schemaVersion: 'v', producer: 'test' });
    },
  };
  return { store, ctx, saved, emitted };
}

describe('deciding on one aggregate', () => {
  it('saves the new state and emits its events, in order, keyed and in the flow given', async () => {
    const { store, ctx, saved, emitted } = recording({ total: 1 });
    const events = await update(
      ctx,
      store,
      'counter-1',
      (state) => ({
        state: { total: state.total + 2 },
        events: [
          { type: 'test.Counted' as const, data: { total: 2 } },
          { type: 'test.Counted' as const, data: { total: 3 } },
        ],
      }),
      { correlationId: 'flow-1' },
    );
    expect(saved).toEqual([{ next: { total: 3 }, before: { total: 1 } }]);
    expect(emitted).toEqual([
      { type: 'test.Counted', key: 'counter-1', data: { total: 2 }, flow: { correlationId: 'flow-1' } },
      { type: 'test.Counted', key: 'counter-1', data: { total: 3 }, flow: { correlationId: 'flow-1' } },
    ]);
    expect(events).toHaveLength(2);
  });

  it('writes nothing when the decider hands back the state it was given', async () => {
    const { store, ctx, saved, emitted } = recording({ total: 1 });
    await update(ctx, store, 'counter-1', (state) => ({ state, events: [] }));
    expect(saved).toEqual([]);
    expect(emitted).toEqual([]);
  });
});

describe('an event-sourced decider in the one shape', () => {
  const counter = evolving<number, number, { by: number }>({
    initialState: () => 0,
    decide: (add, _total) => (add === 0 ? [] : [{ by: add }, { by: add }]),
    evolve: (total, e) => total + e.by,
  });

  it('folds the events it decided into the state it answers', () => {
    expect(counter.decide(2, 1)).toEqual({ state: 5, events: [{ by: 2 }, { by: 2 }] });
  });

  it('answers the very state it was given when it decides nothing, so update writes nothing', async () => {
    type Counted = { type: 'test.Counted'; data: { total: number } };
    const tally = evolving<Counter, number, Counted>({
      initialState: () => ({ total: 0 }),
      decide: (add) => (add === 0 ? [] : [{ type: 'test.Counted', data: { total: add } }]),
      evolve: (state, e) => ({ total: state.total + e.data.total }),
    });
    const { store, ctx, saved } = recording({ total: 7 });
    await update(ctx, store, 'counter-1', (state) => tally.decide(0, state));
    expect(saved).toEqual([]);
    await update(ctx, store, 'counter-1', (state) => tally.decide(3, state));
    expect(saved).toEqual([{ next: { total: 10 }, before: { total: 7 } }]);
  });
});
