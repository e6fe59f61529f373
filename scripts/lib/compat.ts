/** Avro compatibility both ways, with avsc's resolvers: old readers read new data and vice versa. */
import avro from 'avsc';

export function compatibilityProblems(previous: unknown, current: unknown): string[] {
  const oldType = avro.Type.forSchema(previous as avro.Schema);
  const newType = avro.Type.forSchema(current as avro.Schema);
  const problems: string[] = [];
  try {
    newType.createResolver(oldType);
  } catch (error) {
    problems.push(`new readers cannot read old data: ${(error as Error).message}`);
  }
  try {
    oldType.createResolver(newType);
  } catch (error) {
    problems.push(`old readers cannot read new data: ${(error as Error).message}`);
  }
  return problems;
}
