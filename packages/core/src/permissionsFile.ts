import { permissionsFileSchema, type RoleRules } from '@mission/contracts';
import { readYamlFile } from './yamlFile.ts';

/** Reads `permissions.yaml` (roles and their allow/confirm/deny rules); `undefined` without the file. */
export function readPermissionsFile(file: string): Record<string, RoleRules> | undefined {
  return readYamlFile(file, permissionsFileSchema)?.roles;
}
