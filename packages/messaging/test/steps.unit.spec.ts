/** The runner's steps, each on its own: decoding a delivery, reporting what became of it, and the middleware they compose into. */
import pino from 'pino';
import type { IncomingMessage } from '../src/bus.js';
import { CodecRegistry, parseTopicSchema } from '../src/codec.js';
import { newFlowEnvelope, toProperties } from '../src/envelope.js';
import { buildMessage } from '../src/message.js';
import {
  compose,
  decoder,
  ignoringUnhandled,
  preparing,
  reporter,
  reporting,
  retryingAlone,
  DEFERRED,
  retryingTransient,
  type Handler,
  type Middleware,
  type Outcome,
} from '../src/runner.js';

const codecs = new CodecRegistry([
  parseTopicSchema(
    'test/steps',
    'inline',
    JSON.stringify({
      type: 'record',
      name: 'Message',
      namespace: 'beacon.test',
      fields: [{ name: 'payload', type: [{ type: 'record', name: 'Ping', fields: [{ name: 'id', type: 'string' }] }] }],
    }),
  ),
]);
const logger = pino({ level: 'silent' });

function delivery(payload = codecs.encode('test.Ping', { id: 'p-1' })): IncomingMessage {
  const envelope = newFlowEnvelope({
    messageType: 'test.Ping',
    schemaVersion: codecs.topicOf('test.Ping').version,
    producer: 'test',
  });
  return {
    topic: 'persistent://beacon/test/steps',
    key: 'p-1',
    payload,
    properties: toProperties(envelope),
    redeliveryCount: 0,
    brokerMessageId: 'm-1',
    publishTime: new Date().toISOString(),
  };
}

describe('decoding a delivery', () => {
  const ping: Handler<unknown> = async () => undefined;

  it('reads the envelope from the properties and the payload with the codec its type names, and finds its handler', () => {
    const incoming = delivery();
    const d = decoder({ codecs, logger, service: 'test', handlers: { 'test.Ping': ping } })(incoming);
    expect(d.value).toEqual({ id: 'p-1' });
    expect(d.envelope.messageId).toBe(incoming.properties['message-id']);
    expect(d.handler).toBe(ping);
  });

  it('leaves the payload alone for a watcher that reads only envelopes', () => {
    const d = decoder({ codecs, logger, service: 'test', handlers: {}, envelopeOnly: true })(
      delivery(Buffer.from('?')),
    );
    expect(d.value).toBeUndefined();
    expect(d.handler).toBeUndefined();
  });

  it('refuses a payload its schema cannot read, so that the message is redelivered and dead-lettered', () => {
    expect(() =>
      decoder({ codecs, logger, service: 'test', handlers: {} })(delivery(Buffer.from([0xff, 0xff]))),
    ).toThrow();
  });
});

describe('reporting what became of a message', () => {
  it('counts each outcome under its message type, failures included', () => {
    const seen: Array<[string, string]> = [];
    const report = reporter((type, outcome) => seen.push([type, outcome]));
    const d = decoder({ codecs, logger, service: 'test', handlers: {} })(delivery());
    for (const outcome of ['handled', 'duplicate', 'ignored'] as Outcome[]) report.done(d, outcome, 0.01);
    report.failed(d, new Error('boom'), 0.01);
    expect(seen).toEqual([
      ['test.Ping', 'handled'],
      ['test.Ping', 'duplicate'],
      ['test.Ping', 'ignored'],
      ['test.Ping', 'failed'],
    ]);
  });
});

describe('building a message', () => {
  it('a flow’s first message: its own correlation id (or a new one), no causation, the topic of its type', () => {
    const { envelope, message } = buildMessage(codecs, {
      messageType: 'test.Ping',
      key: 'p-1',
      value: { id: 'p-1' },
      producer: 'bff',
      correlationId: 'flow-1',
      tenant: 'acme',
    });
    expect(envelope).toMatchObject({ correlationId: 'flow-1', causationId: '', producer: 'bff' });
    expect(message.topic).toBe('persistent://acme/test/steps');
    expect(message.properties).toEqual(toProperties(envelope));
    expect(codecs.decode('test.Ping', envelope.schemaVersion, message.payload).value).toEqual({ id: 'p-1' });
    expect(
      buildMessage(codecs, { messageType: 'test.Ping', key: 'k', value: { id: 'x' }, producer: 'bff' }).envelope
        .correlationId,
    ).not.toBe('');
  });

  it('a caused message joins its cause’s flow and names it', () => {
    const { envelope } = buildMessage(codecs, {
      messageType: 'test.Ping',
      key: 'p-1',
      value: { id: 'p-1' },
      producer: 'tracking',
      cause: { messageId: 'cause-1', correlationId: 'flow-1' },
    });
    expect(envelope).toMatchObject({ correlationId: 'flow-1', causationId: 'cause-1', producer: 'tracking' });
    expect(envelope.messageId).not.toBe('cause-1');
  });
});

describe('the runner as composed steps', () => {
  const ping: Handler<unknown> = async () => undefined;
  const decode = decoder({ codecs, logger, service: 'test', handlers: { 'test.Ping': ping } });
  const decodeNone = decoder({ codecs, logger, service: 'test', handlers: {} });

  it('runs the middleware outermost first, each around the one below it', async () => {
    const order: string[] = [];
    const tagged =
      (name: string): Middleware<unknown> =>
      (next) =>
      async (ds) => {
        order.push(`${name} in`);
        const verdicts = await next(ds);
        order.push(`${name} out`);
        return verdicts;
      };
    const steps = compose([tagged('a'), tagged('b')], async (ds) => {
      order.push('last');
      return ds.map(() => 'handled' as const);
    });
    expect(await steps([decode(delivery())])).toEqual(['handled']);
    expect(order).toEqual(['a in', 'b in', 'last', 'b out', 'a out']);
  });

  it('skips types without a handler, passing on only the others, and keeps the verdicts in order', async () => {
    const passed: number[] = [];
    const steps = compose([ignoringUnhandled()], async (ds) => {
      passed.push(ds.length);
      return ds.map(() => 'handled' as const);
    });
    expect(await steps([decodeNone(delivery()), decode(delivery()), decodeNone(delivery())])).toEqual([
      'ignored',
      'handled',
      'ignored',
    ]);
    expect(passed).toEqual([1]);
  });

  it("handles a failed run again one at a time, reports the one that fails alone, and does not try the key's later ones", async () => {
    const seen: Array<[string, string]> = [];
    const tried: unknown[] = [];
    const bad = decode(delivery());
    const steps = compose(
      [retryingAlone(logger, 'test'), reporting(reporter((type, outcome) => seen.push([type, outcome])))],
      async (ds) => {
        if (ds.length === 1) tried.push(ds[0]);
        if (ds.includes(bad)) throw new Error('bad data');
        return ds.map(() => 'handled' as const);
      },
    );
    const first = decode(delivery());
    const verdicts = await steps([first, bad, decode(delivery())]);
    expect(verdicts.map((v) => (typeof v === 'string' ? v : v === DEFERRED ? 'deferred' : 'failed'))).toEqual([
      'handled',
      'failed',
      'deferred',
    ]);
    expect(seen.map(([, outcome]) => outcome)).toEqual(['handled', 'failed']);
    expect(tried).toEqual([first, bad]);
  });

  it("tries a transaction again in place after a transient database fault, so the key's later messages stay behind it", async () => {
    // What PostgreSQL answers when every connection slot is taken (SQLSTATE 53300), twice, then success.
    const full = Object.assign(new Error('remaining connection slots are reserved'), { code: '53300' });
    const applied: string[] = [];
    let failures = 2;
    const steps = compose(
      [
        retryingAlone(logger, 'test'),
        reporting(reporter(() => undefined)),
        retryingTransient(logger, 'test', [1, 1, 1]),
      ],
      async (ds) => {
        if (ds.length === 1 && ds[0] === calculation && failures-- > 0) throw full;
        if (ds.length > 1) throw full; // the run as a whole keeps failing: retryingAlone takes them one at a time
        applied.push(ds[0] === calculation ? 'calculated' : 'approved');
        return ds.map(() => 'handled' as const);
      },
    );
    const calculation = decode(delivery());
    const approval = decode(delivery());
    const verdicts = await steps([calculation, approval]);
    expect(verdicts).toEqual(['handled', 'handled']);
    expect(applied).toEqual(['calculated', 'approved']);
  });

  it('does not retry a fault of the message itself, nor a transient one past its delays', async () => {
    let calls = 0;
    const failing = (error: Error) =>
      compose([retryingTransient(logger, 'test', [1, 1])], async () => {
        calls++;
        throw error;
      });
    await expect(failing(new Error('bad data'))([decode(delivery())])).rejects.toThrow('bad data');
    expect(calls).toBe(1);
    calls = 0;
    const deadlock = Object.assign(new Error('deadlock detected'), { code: '40P01' });
    await expect(failing(deadlock)([decode(delivery())])).rejects.toThrow('deadlock detected');
    expect(calls).toBe(3);
  });

  it('runs prepare before the step below, one message at a time, and hands on what it returned', async () => {
    const prepared: Handler<unknown> = Object.assign(async () => undefined, {
      prepare: async (message: unknown) => `prepared ${(message as { id: string }).id}`,
    });
    const runs: unknown[][] = [];
    const steps = compose([preparing()], async (ds) => {
      runs.push(ds.map((d) => d.prepared));
      return ds.map(() => 'handled' as const);
    });
    const withPrepare = decoder({ codecs, logger, service: 'test', handlers: { 'test.Ping': prepared } });
    await steps([withPrepare(delivery()), withPrepare(delivery())]);
    expect(runs).toEqual([['prepared p-1'], ['prepared p-1']]);
  });
});
