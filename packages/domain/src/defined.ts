/**
 * A value the code knows is there but the compiler cannot see (a map filled just above, a regex
 * group that matched), checked at run time: a broken invariant fails loudly, naming what was missing.
 */
export function defined<T>(value: T | null | undefined, what: string): T {
  if (value === undefined || value === null) throw new Error(`invariant broken: ${what} is missing`);
  return value;
}

/** The `default` of a switch over a closed union: the compiler proves it is never reached; at run time it fails naming the value. */
export function unreachable(value: never, what: string): never {
  const shown = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  throw new Error(`${what} cannot take ${shown}`);
}
