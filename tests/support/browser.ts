import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';

/** Debian's chromium package (`apt-get install chromium`; .ci/run installs it). */
export const CHROMIUM = '/usr/bin/chromium';
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const CONSOLE_DIST = path.join(REPO, 'packages/console/dist');
const ARTIFACTS = path.join(REPO, 'test-artifacts/console');

/**
 * Whether the browser tests can run here. Without chromium they are skipped with the reason, except
 * in CI, where a missing browser is a failure rather than a silent skip.
 */
export function chromiumAvailable(): boolean {
  if (fs.existsSync(CHROMIUM)) return true;
  const reason = `${CHROMIUM} is missing: install it with \`apt-get install -y chromium\` to run the browser tests`;
  if (process.env.CI) throw new Error(reason);
  console.warn(`skipping the browser tests: ${reason}`);
  return false;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

/** The console's built files; built here when `npm run build` has not run (as `npm test` does first). */
export function ensureConsoleBuilt(): void {
  if (fs.existsSync(path.join(CONSOLE_DIST, 'index.html'))) return;
  const build = spawnSync('npm', ['run', 'build'], { cwd: REPO, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}\n${build.stderr}`);
}

/** Saves a full-page screenshot under test-artifacts/console/ and prints where. */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`screenshot: ${file}`);
  return file;
}
