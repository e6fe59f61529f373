/** Input parsed with a zod schema, or a 400 problem naming each bad field. */
import type { ZodType, ZodTypeDef } from 'zod';
import { zodProblem } from './problems.js';

export function parse<T>(schema: ZodType<T, ZodTypeDef, unknown>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) throw zodProblem(result.error);
  return result.data;
}
