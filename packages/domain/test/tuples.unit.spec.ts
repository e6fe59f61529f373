import fc from 'fast-check';
import { column, TupleMap, TupleSet } from '../src/tuples.js';

describe('maps and sets keyed by tuples of strings', () => {
  it('keeps tuples apart whatever their parts hold, and gives each back as it was put in', () => {
    const part = fc.oneof(fc.string(), fc.constantFrom('', '\u0000', '","', '\\', '["a"]', 'a\u0000b'));
    fc.assert(
      fc.property(fc.array(fc.tuple(part, part), { maxLength: 30 }), (pairs) => {
        const map = new TupleMap<[string, string], number>();
        pairs.forEach((p, i) => map.set(p, i));
        const distinct = new Set(pairs.map((p) => `${p[0].length}:${p[0]}${p[1]}`));
        expect(map.size).toBe(distinct.size);
        for (const [k, v] of map.entries()) {
          expect(pairs[v]).toEqual(k);
          expect(map.get([k[0], k[1]])).toBe(v);
        }
      }),
    );
  });

  it('does not confuse tuples whose joined text is the same', () => {
    const set = new TupleSet<[string, string]>([['a\u0000b', 'c']]);
    expect(set.has(['a', 'b\u0000c'])).toBe(false);
    expect(set.has(['a\u0000b', 'c'])).toBe(true);
    expect(set.delete(['a\u0000b', 'c'])).toBe(true);
    expect(set.size).toBe(0);
  });

  it('sorts by parts in turn and hands columns to unnest', () => {
    const map = new TupleMap<[string, string], number>([
      [['b', 'a'], 1],
      [['a', 'z'], 2],
      [['a', 'b'], 3],
    ]);
    expect(map.sorted().map(([, v]) => v)).toEqual([3, 2, 1]);
    expect(column(map.keys(), 1)).toEqual(['a', 'z', 'b']);
    const copy = map.copy().set(['c', 'c'], 4);
    expect(map.size).toBe(3);
    expect(copy.size).toBe(4);
  });
});
