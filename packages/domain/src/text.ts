/**
 * What PostgreSQL can store. Its text and jsonb types refuse NUL, and jsonb refuses a lone UTF-16
 * surrogate; deep JSON exhausts stacks. The BFF refuses such input at the edge (400); a service that
 * still receives it stores the event invalid (never throws: throwing is for transient faults).
 */

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LONE_SURROGATES = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Why a string cannot be stored, or undefined. */
export function textProblem(value: string): string | undefined {
  if (value.includes('\u0000')) return 'must not contain NUL characters';
  if (LONE_SURROGATE.test(value)) return 'must be valid Unicode (a lone surrogate was found)';
  return undefined;
}

/** The storable version of a string: NUL removed, lone surrogates replaced by U+FFFD. */
export function storableText(value: string): string {
  return value.replaceAll('\u0000', '').replace(LONE_SURROGATES, '\uFFFD');
}

export const MAX_JSON_DEPTH = 32;

/** Why a JSON value cannot be stored as jsonb: too deep, or text (in keys too) PostgreSQL refuses. */
export function jsonProblem(value: unknown, maxDepth = MAX_JSON_DEPTH): string | undefined {
  const stack: Array<{ v: unknown; depth: number }> = [{ v: value, depth: 0 }];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const { v, depth } = item;
    if (depth > maxDepth) return `must not be nested more than ${maxDepth} levels deep`;
    if (typeof v === 'string') {
      const problem = textProblem(v);
      if (problem) return `text ${problem}`;
    } else if (v !== null && typeof v === 'object') {
      for (const [key, child] of Object.entries(v)) {
        const problem = textProblem(key);
        if (problem) return `keys ${problem}`;
        stack.push({ v: child, depth: depth + 1 });
      }
    }
  }
  return undefined;
}
