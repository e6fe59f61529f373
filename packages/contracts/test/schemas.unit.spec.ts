import { parseTopicSchema } from '@beacon/messaging';
import { compatibilityProblems } from '../../../scripts/lib/compat.js';
import { generateTypes } from '../../../scripts/lib/avro-to-ts.js';

const v1 = {
  type: 'record',
  name: 'Message',
  namespace: 'beacon.shop',
  fields: [
    { name: 'payload', type: [{ type: 'record', name: 'OrderPlaced', fields: [{ name: 'orderId', type: 'string' }] }] },
  ],
};
const withField = (field: Record<string, unknown>) => ({
  ...v1,
  fields: [
    {
      name: 'payload',
      type: [{ type: 'record', name: 'OrderPlaced', fields: [{ name: 'orderId', type: 'string' }, field] }],
    },
  ],
});

describe('schema compatibility, both directions', () => {
  it('accepts a new field with a default', () => {
    expect(compatibilityProblems(v1, withField({ name: 'note', type: ['null', 'string'], default: null }))).toEqual([]);
  });

  it('refuses a new field without a default: new readers cannot read old data', () => {
    const problems = compatibilityProblems(v1, withField({ name: 'total', type: 'long' }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/new readers cannot read old data/);
  });

  it('refuses a changed field type', () => {
    const changed = {
      ...v1,
      fields: [
        {
          name: 'payload',
          type: [{ type: 'record', name: 'OrderPlaced', fields: [{ name: 'orderId', type: 'long' }] }],
        },
      ],
    };
    expect(compatibilityProblems(v1, changed).length).toBeGreaterThan(0);
  });
});

describe('TypeScript generation', () => {
  it('writes an interface per record, nullable unions, enums and the message map', () => {
    const schema = withField({ name: 'status', type: { type: 'enum', name: 'Status', symbols: ['open', 'closed'] } });
    const ts = generateTypes([parseTopicSchema('shop/events', 'inline', JSON.stringify(schema))]);
    expect(ts).toContain('export interface OrderPlaced {\n  orderId: string;\n  status: Status;\n}');
    expect(ts).toContain("export type Status = 'open' | 'closed';");
    expect(ts).toContain("'shop.OrderPlaced': OrderPlaced;");
    expect(ts).toContain("'shop.OrderPlaced': 'shop/events',");
  });
});
