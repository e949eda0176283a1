import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Where dist/mission.js finds ./hostModules.ts of the checkout it was built in (build.mjs); `files` leaves src/ out of the package. */
export const HOST_MODULES_FROM_BUNDLE = '../src/hostModules.ts';

/**
 * Mission itself, for the commands that run it on this machine (up, token, doctor). The built CLI is one bundle of
 * the client commands; it loads these from the checkout's TypeScript (through tsx) when it runs from one, and says
 * so when it was installed alone.
 */
export function loadHost(command: string): Promise<HostModules> {
  host ??= importHost(command);
  return host;
}

type HostModules = typeof import('./hostModules.ts');
let host: Promise<HostModules> | undefined;

async function importHost(command: string): Promise<HostModules> {
  if (import.meta.url.endsWith('.js')) {
    if (!fs.existsSync(fileURLToPath(new URL(HOST_MODULES_FROM_BUNDLE, import.meta.url)))) {
      throw new Error(
        `\`mission ${command}\` runs Mission on this machine: use it in a checkout of Mission (npx mission ${command}) — this installed CLI is the client of an API at MISSION_URL`,
      );
    }
    const { register } = await import('tsx/esm/api');
    register();
  }
  return import('./hostModules.ts');
}
