/** The runner's steps, each on its own: decoding a delivery, and reporting what became of it. */
import pino from 'pino';
import type { IncomingMessage } from '../src/bus.js';
import { CodecRegistry, parseTopicSchema } from '../src/codec.js';
import { newFlowEnvelope, toProperties } from '../src/envelope.js';
import { buildMessage } from '../src/message.js';
import { decoder, reporter, type Handler, type Outcome } from '../src/runner.js';

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
