/**
 * Maps and sets keyed by a tuple of strings (campaign and influencer, campaign and order, …). The
 * tuple is kept beside its entry, so a caller reads the parts back as they were put in (for a
 * set-based SQL statement's arrays) instead of splitting a joined string.
 */
type Key = readonly string[];

/** The one string a tuple is filed under: JSON keeps the parts apart whatever they contain. */
const idOf = (key: Key): string => JSON.stringify(key);

export class TupleMap<K extends Key, V> {
  // A plain field (not #private), so that test matchers compare maps by their entries.
  private readonly byId = new Map<string, [K, V]>();

  constructor(entries: Iterable<readonly [K, V]> = []) {
    for (const [k, v] of entries) this.set(k, v);
  }

  get size(): number {
    return this.byId.size;
  }

  get(key: K): V | undefined {
    return this.byId.get(idOf(key))?.[1];
  }

  has(key: K): boolean {
    return this.byId.has(idOf(key));
  }

  set(key: K, value: V): this {
    this.byId.set(idOf(key), [key, value]);
    return this;
  }

  delete(key: K): boolean {
    return this.byId.delete(idOf(key));
  }

  /** Entries in the order first set. */
  entries(): Array<[K, V]> {
    return [...this.byId.values()];
  }

  keys(): K[] {
    return this.entries().map(([k]) => k);
  }

  values(): V[] {
    return this.entries().map(([, v]) => v);
  }

  /** The entries sorted by key, part by part: the order concurrent writers lock rows in. */
  sorted(): Array<[K, V]> {
    return this.entries().sort(([a], [b]) => compareTuples(a, b));
  }

  /** A copy, to add to without changing this one. */
  copy(): TupleMap<K, V> {
    return new TupleMap(this.entries());
  }
}

export class TupleSet<K extends Key> {
  private readonly map: TupleMap<K, true>;

  constructor(keys: Iterable<K> = []) {
    this.map = new TupleMap([...keys].map((k) => [k, true] as const));
  }

  get size(): number {
    return this.map.size;
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  add(key: K): this {
    this.map.set(key, true);
    return this;
  }

  /** Removes the key; true when it was there. */
  delete(key: K): boolean {
    return this.map.delete(key);
  }

  keys(): K[] {
    return this.map.keys();
  }

  copy(): TupleSet<K> {
    return new TupleSet(this.keys());
  }
}

export function compareTuples(a: Key, b: Key): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? '';
    const y = b[i] ?? '';
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** Column `i` of these tuples: one array per part, as `unnest(…)` takes them. */
export const column = <K extends Key>(keys: K[], i: number): string[] => keys.map((k) => k[i] ?? '');
