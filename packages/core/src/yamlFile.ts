import fs from 'node:fs';
import { BadRequestError, describeIssues } from '@mission/contracts';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';

/**
 * Reads and validates a YAML config file. Returns `undefined` when the file does not exist; a file
 * that exists but is wrong is an error that says where.
 */
export function readYamlFile<S extends z.ZodType>(file: string, schema: S): z.output<S> | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new BadRequestError(`${file} is not valid YAML: ${(error as Error).message}`);
  }
  const parsed = schema.safeParse(document ?? {});
  if (!parsed.success) throw new BadRequestError(`${file}: ${describeIssues(parsed.error.issues)}`);
  return parsed.data;
}
