import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSystem, type TestSystem } from './support/system.ts';

/**
 * The official MCP conformance suite (@modelcontextprotocol/conformance) against Mission's /mcp, with
 * auth off as `npm start` runs it: the suite's client sends no token, and auth off is where its DNS
 * rebinding scenario matters.
 */

/** The server scenarios that test what Mission offers: the protocol, its transport, tools and resources. */
const APPLICABLE = [
  'server-initialize',
  'ping',
  'tools-list',
  'resources-list',
  'resources-subscribe',
  'resources-unsubscribe',
  'server-sse-multiple-streams',
  'dns-rebinding-protection',
];

/**
 * Every other server scenario, with why it does not apply. Most need the suite's reference server:
 * fixed tools (`test_*`), resources (`test://…`) and prompts that Mission does not have. A scenario a
 * new suite version adds fails the first test below until it is sorted into one of the two lists.
 */
const FIXTURE_TOOL = "calls a tool of the suite's reference server (test_*); Mission's tools are its own";
const NOT_APPLICABLE: Record<string, string> = {
  'logging-set-level': 'Mission declares no logging capability',
  'completion-complete': 'Mission declares no completions capability (it has no prompts or resource templates to complete)',
  'tools-call-simple-text': FIXTURE_TOOL,
  'tools-call-image': FIXTURE_TOOL,
  'tools-call-audio': FIXTURE_TOOL,
  'tools-call-embedded-resource': FIXTURE_TOOL,
  'tools-call-mixed-content': FIXTURE_TOOL,
  'tools-call-with-logging': FIXTURE_TOOL,
  'tools-call-error': FIXTURE_TOOL,
  'tools-call-with-progress': FIXTURE_TOOL,
  'tools-call-sampling': FIXTURE_TOOL,
  'tools-call-elicitation': FIXTURE_TOOL,
  'json-schema-2020-12': FIXTURE_TOOL,
  'elicitation-sep1034-defaults': FIXTURE_TOOL,
  'elicitation-sep1330-enums': FIXTURE_TOOL,
  'server-sse-polling': `${FIXTURE_TOOL} (test_reconnection, which closes its stream mid-call)`,
  'resources-read-text': "reads the reference server's test://static-text; Mission's resources are mission://sessions and mission://status",
  'resources-read-binary': "reads the reference server's test://static-binary",
  'resources-templates-read': "reads the reference server's resource template test://template/{id}/data; Mission has no templates",
  'prompts-list': 'Mission declares no prompts capability',
  'prompts-get-simple': 'Mission declares no prompts capability',
  'prompts-get-with-args': 'Mission declares no prompts capability',
  'prompts-get-embedded-resource': 'Mission declares no prompts capability',
  'prompts-get-with-image': 'Mission declares no prompts capability',
};

const run = promisify(execFile);
const SUITE = path.join(
  path.dirname(createRequire(import.meta.url).resolve('@modelcontextprotocol/conformance/package.json')),
  'dist/index.js',
);

/**
 * The suite uses Node 22's APIs (fs.globSync). Mission supports Node 22 and CI runs on it (.ci/run
 * installs it from the npm registry); on an older Node the suite is skipped with the reason, except
 * in CI, where that is a failure.
 */
function node22(): boolean {
  if (Number(process.versions.node.split('.')[0]) >= 22) return true;
  const reason = `the MCP conformance suite needs Node 22 and this is Node ${process.versions.node}: run the tests on Node 22, Mission's supported runtime (.ci/run shows how to install it from the npm registry)`;
  if (process.env.CI) throw new Error(reason);
  console.warn(`skipping the MCP conformance suite: ${reason}`);
  return false;
}

const suite = (...args: string[]) => run(process.execPath, [SUITE, ...args], { encoding: 'utf8', timeout: 120_000 });

interface Check {
  id: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED';
  errorMessage?: string;
}

describe.skipIf(!node22())('the official MCP conformance suite against /mcp', () => {
  let system: TestSystem;
  let results: string;

  beforeAll(async () => {
    system = await startTestSystem({ inProcessWorker: false, env: { MISSION_AUTH: 'off' } });
    results = fs.mkdtempSync(path.join(os.tmpdir(), 'mission-conformance-'));
  });
  afterAll(async () => {
    await system?.close();
    if (results) fs.rmSync(results, { recursive: true, force: true });
  });

  it('sorts every server scenario of the suite as applicable or not, with the reason', async () => {
    const { stdout } = await suite('list', '--server');
    const scenarios = [...stdout.matchAll(/^\s+- (\S+)/gm)].map((match) => match[1]!);
    expect(scenarios.length).toBeGreaterThan(20);
    expect([...scenarios].sort()).toEqual([...APPLICABLE, ...Object.keys(NOT_APPLICABLE)].sort());
  });

  it.each(APPLICABLE)('%s passes', async (scenario) => {
    const output = path.join(results, scenario);
    // The suite exits non-zero when a check fails: its checks are read either way, to say which.
    await suite('server', '--url', `${system.url}/mcp`, '--scenario', scenario, '-o', output).catch((error: { stdout?: string }) => error);
    const [run] = fs.readdirSync(output);
    const checks = JSON.parse(fs.readFileSync(path.join(output, run!, 'checks.json'), 'utf8')) as Check[];
    expect(checks.filter((check) => check.status === 'SUCCESS').length, scenario).toBeGreaterThan(0);
    expect(checks.filter((check) => check.status === 'FAILURE' || check.status === 'WARNING')).toEqual([]);
  });
});
