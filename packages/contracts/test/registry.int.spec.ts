import { randomUUID } from 'node:crypto';
import { CodecRegistry, parseTopicSchema, pulsarAuthHeaders } from '@beacon/messaging';
import { loadRegisteredWriterSchemas, registerSchemas } from '../src/index.js';
import { defined } from '@beacon/domain';

const admin = process.env.PULSAR_ADMIN_URL ?? 'http://127.0.0.1:8080';

describe("Pulsar's schema registry", () => {
  it('registers a topic schema, accepts the same one again, and teaches older versions to the codecs', async () => {
    const name = `test/registry-${randomUUID().slice(0, 8)}`;
    const record = (fields: object[]) =>
      JSON.stringify({
        type: 'record',
        name: 'Message',
        namespace: 'beacon.reg',
        fields: [{ name: 'payload', type: [{ type: 'record', name: 'Hello', fields }] }],
      });
    const v1 = new CodecRegistry([parseTopicSchema(name, 'inline', record([{ name: 'id', type: 'string' }]))]);
    await registerSchemas(admin, v1);
    await registerSchemas(admin, v1);
    const stored = (await (
      await fetch(`${admin}/admin/v2/schemas/beacon/${name}/schema`, { headers: pulsarAuthHeaders() })
    ).json()) as {
      type: string;
      version: number;
      data: string;
    };
    expect(stored.type).toBe('AVRO');
    expect(stored.version).toBe(0);
    expect(JSON.parse(stored.data)).toMatchObject({ name: 'Message', namespace: 'beacon.reg' });

    // A newer reader with an added field learns v1 from the registry and decodes v1 data.
    const v2 = new CodecRegistry([
      parseTopicSchema(
        name,
        'inline',
        record([
          { name: 'id', type: 'string' },
          { name: 'lang', type: 'string', default: 'en' },
        ]),
      ),
    ]);
    await registerSchemas(admin, v2);
    expect(await loadRegisteredWriterSchemas(admin, v2)).toBe(2);
    const old = v1.encode('reg.Hello', { id: 'x' });
    expect(v2.decode('reg.Hello', defined(v1.topics[0], 'a topic').version, old).value).toEqual({
      id: 'x',
      lang: 'en',
    });
  });
});
