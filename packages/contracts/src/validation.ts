import type { z } from 'zod';
import { BadRequestError } from './errors.ts';

/** One readable line per problem, e.g. `prompt: must not be empty; priority: expected a number`. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      const where = issue.path.length > 0 ? issue.path.join('.') : 'body';
      return `${where}: ${issue.message}`;
    })
    .join('; ');
}

/** Parses input with a schema, turning failure into a 400 with a readable message. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what = 'request'): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new BadRequestError(`invalid ${what}: ${describeIssues(result.error.issues)}`);
  return result.data;
}
