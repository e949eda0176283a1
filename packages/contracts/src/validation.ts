import type { z } from 'zod';
import { BadRequestError } from './errors.ts';

/**
 * One readable line per problem, e.g. `prompt: must not be empty; priority: expected a number`; a problem of the
 * value as a whole (a key it does not take, an id that is not one) is its message alone.
 */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message)).join('; ');
}

/** Parses input with a schema, turning failure into a 400 with a readable message. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what = 'request'): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new BadRequestError(`invalid ${what}: ${describeIssues(result.error.issues)}`);
  return result.data;
}
