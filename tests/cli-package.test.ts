import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import cliManifest from '../packages/cli/package.json' with { type: 'json' };
import { CLAUDE_BIN } from './support/claudeEnv.ts';
import { startTestSystem, type TestSystem } from './support/system.ts';

const execFileAsync = promisify(execFile);
const repoRoot = path.resolve(import.meta.dirname, '..');

/**
 * The @mission/cli package as a user gets it: packed, installed globally into a prefix of its own with no registry to
 * reach (everything it needs is bundled), then run from a folder outside the repository.
 */
describe('the @mission/cli package, packed and installed globally', () => {
  let system: TestSystem;
  let work: string;
  let prefixBin: string;
  let clientEnv: Record<string, string>;

  beforeAll(async () => {
    system = await startTestSystem({ inProcessWorker: false });
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'mission-cli-package-'));
    // No registry: an address nothing listens on, and offline mode besides.
    const offline = {
      ...process.env,
      npm_config_registry: 'http://127.0.0.1:9/',
      npm_config_offline: 'true',
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      npm_config_update_notifier: 'false',
    };
    const packed = await execFileAsync('npm', ['pack', '--json', '--pack-destination', work], {
      cwd: path.join(repoRoot, 'packages/cli'),
      env: offline,
    });
    const [{ filename }] = JSON.parse(packed.stdout) as [{ filename: string }];
    const prefix = path.join(work, 'prefix');
    await execFileAsync('npm', ['install', '-g', '--prefix', prefix, path.join(work, filename)], { cwd: work, env: offline });
    prefixBin = path.join(prefix, 'bin');
    clientEnv = {
      PATH: `${prefixBin}:${path.dirname(process.execPath)}:/usr/bin:/bin`,
      HOME: work,
      MISSION_URL: system.url,
      MISSION_TOKEN: system.auth.authorization.slice('Bearer '.length),
    };
  });
  afterAll(async () => {
    await system?.close();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  const mission = (args: string[]) => execFileAsync(path.join(prefixBin, 'mission'), args, { cwd: work, env: clientEnv });

  it('mission --version prints the package version; a client command talks to the API at MISSION_URL', async () => {
    expect((await mission(['--version'])).stdout.trim()).toBe(cliManifest.version);
    const { stdout } = await mission(['sessions', '--json']);
    expect(JSON.parse(stdout)).toEqual({ sessions: [] });
  });

  it('the commands that run Mission itself say they need a checkout', async () => {
    const failed = await mission(['up']).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toContain('`mission up` runs Mission on this machine: use it in a checkout of Mission');
  });

  it('mission-mcp: the MCP SDK client connects over stdio and lists Mission’s tools', async () => {
    const transport = new StdioClientTransport({ command: path.join(prefixBin, 'mission-mcp'), cwd: work, env: clientEnv, stderr: 'pipe' });
    const client = new Client({ name: 'package-test', version: '1.0.0' });
    await client.connect(transport);
    try {
      expect(client.getServerVersion()?.name).toBe('mission');
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toContain('mission_submit');
    } finally {
      await client.close();
    }
  });

  it('claude mcp add mission -- mission-mcp, from outside the repository: claude mcp list shows it connected', async () => {
    const claudeEnv = { ...clientEnv, DISABLE_AUTOUPDATER: '1', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', DISABLE_TELEMETRY: '1' };
    await execFileAsync(CLAUDE_BIN, ['mcp', 'add', 'mission', '--', 'mission-mcp'], { cwd: work, env: claudeEnv });
    const { stdout } = await execFileAsync(CLAUDE_BIN, ['mcp', 'list'], { cwd: work, env: claudeEnv, timeout: 60_000 });
    expect(stdout).toMatch(/mission: mission-mcp\s+- ✔ Connected/);
  });
});
