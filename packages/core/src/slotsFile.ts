import path from 'node:path';
import { type SlotConfig, slotsFileSchema } from '@mission/contracts';
import { readYamlFile } from './yamlFile.ts';

/** Reads `slots.yaml`; relative `cwd`s are resolved against the file's folder. `undefined` without the file. */
export function readSlotsFile(file: string): Record<string, SlotConfig> | undefined {
  const document = readYamlFile(file, slotsFileSchema);
  if (!document) return undefined;
  const folder = path.dirname(file);
  return Object.fromEntries(Object.entries(document.slots).map(([id, slot]) => [id, { ...slot, cwd: path.resolve(folder, slot.cwd) }]));
}
