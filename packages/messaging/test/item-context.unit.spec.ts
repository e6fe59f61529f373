import pino from 'pino';
import { itemContext, type HandlerContext } from '../src/runner.js';
import type { Envelope } from '../src/envelope.js';

describe("a batch's item as a delivery of its own", () => {
  const envelope = { messageId: 'm-batch', correlationId: 'flow-batch', causationId: 'm-cause' } as Envelope;
  const emitted: Array<{ type: string; key: string; options?: { correlationId?: string } }> = [];
  const lines: Array<Record<string, unknown>> = [];
  const log = pino({ base: undefined }, { write: (line: string) => lines.push(JSON.parse(line)) });
  const batch = {
    trx: {},
    message: { items: [] },
    envelope,
    log,
    emit: async (type: string, key: string, _value: unknown, options?: { correlationId?: string }) => {
      emitted.push({ type, key, options });
      return envelope;
    },
  } as unknown as HandlerContext<unknown>;

  it('names the item flow in its envelope, its log lines and what it emits; the batch stays the cause', async () => {
    const item = itemContext(batch, { correlationId: 'flow-item', n: 1 });
    expect(item.message).toEqual({ correlationId: 'flow-item', n: 1 });
    expect(item.envelope).toMatchObject({ messageId: 'm-batch', causationId: 'm-cause', correlationId: 'flow-item' });
    await item.emit('x.Happened', 'k-1', {});
    await item.emit('x.Happened', 'k-2', {}, { correlationId: 'flow-other' });
    expect(emitted).toEqual([
      { type: 'x.Happened', key: 'k-1', options: { correlationId: 'flow-item' } },
      { type: 'x.Happened', key: 'k-2', options: { correlationId: 'flow-other' } },
    ]);
    item.log.info('done');
    expect(lines.at(-1)).toMatchObject({ correlationId: 'flow-item', msg: 'done' });
    expect(batch.envelope.correlationId).toBe('flow-batch');
  });
});
