import fs from 'node:fs';
import path from 'node:path';
import { BadRequestError, describeIssues, type SlotConfig, slotsFileSchema } from '@mission/shared';
import { parse as parseYaml } from 'yaml';

/**
 * Reads `slots.yaml`. Relative `cwd`s are resolved against the file's folder. Returns `undefined`
 * when the file does not exist; a file that exists but is wrong is an error that says where.
 */
export function readSlotsFile(file: string): Record<string, SlotConfig> | undefined {
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
  const parsed = slotsFileSchema.safeParse(document ?? {});
  if (!parsed.success) throw new BadRequestError(`${file}: ${describeIssues(parsed.error.issues)}`);
  const folder = path.dirname(file);
  return Object.fromEntries(
    Object.entries(parsed.data.slots).map(([id, slot]) => [id, { ...slot, cwd: path.resolve(folder, slot.cwd) }]),
  );
}
