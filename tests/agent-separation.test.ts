import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canSwitchUsers, createAgentUser, type TestAgentUser } from './support/agentUser.ts';
import { type ClaudeHome, prepareClaudeHome } from './support/claudeEnv.ts';
import { type ClaudeTestBed, startClaudeTestBed } from './support/claudeTestBed.ts';
import { scriptByPrompt } from './support/stubAnthropic.ts';
import { startWorkerProcess, type WorkerProcess } from './support/workerProcess.ts';

/**
 * An agent runs as a user of its own (MISSION_AGENT_USER) in an environment built from scratch: the real
 * CLI, against the stub, walks /proc and reads the worker's files, and finds none of Mission's secrets.
 * Needs root (it creates the agent user): skipped otherwise.
 */
describe.skipIf(!canSwitchUsers)('agents are separated from the worker (real claude CLI)', () => {
  let bed: ClaudeTestBed;
  let agentUser: TestAgentUser;
  let worker: WorkerProcess;
  let replies: ReturnType<typeof scriptByPrompt>;
  const approvalSecret = `approval-secret-${Math.random().toString(36).slice(2)}`;
  const cloudSecret = `cloud-secret-${Math.random().toString(36).slice(2)}`;
  let secretFile: string;

  // A slot whose agents run as a user of their own (MISSION_SLOT_AGENT_USERS), in a folder and a HOME of their own.
  let apartUser: TestAgentUser;
  let apart: { workdir: string; claude: ClaudeHome };

  beforeAll(async () => {
    agentUser = createAgentUser();
    apartUser = createAgentUser();
    bed = await startClaudeTestBed({ inProcessWorker: false });
    replies = scriptByPrompt(bed.stub);
    secretFile = path.join(bed.system.config.dataDir, 'worker-only.txt');
    fs.writeFileSync(secretFile, `${cloudSecret}\n`, { mode: 0o600 });
    // The worker as deployed, in a process of its own holding Mission's secrets (and a cloud credential) in its environment.
    worker = await startWorkerProcess(bed.system, 'separated', {
      MISSION_AGENT_USER: agentUser.name,
      MISSION_SLOT_AGENT_USERS: `apart*=${apartUser.name}`,
      MISSION_APPROVAL_SECRET: approvalSecret,
      AWS_SECRET_ACCESS_KEY: cloudSecret,
    });
    expect((await bed.system.fetch('/v1/roles/shell', put({ allow: ['Bash'] }))).status).toBe(200);
    expect((await bed.system.fetch('/v1/slots/shell', put({ role: 'shell', cwd: bed.workdir, env: bed.claude.env }))).status).toBe(200);
    const apartDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mission-apart-'));
    apart = { workdir: apartDir, claude: prepareClaudeHome({ apiUrl: bed.stub.url, trustedDirs: [apartDir] }) };
    expect((await bed.system.fetch('/v1/slots/apart-1', put({ role: 'shell', cwd: apart.workdir, env: apart.claude.env }))).status).toBe(
      200,
    );
  });
  afterAll(async () => {
    worker?.child.kill('SIGTERM');
    await worker?.exited;
    await bed?.close();
    agentUser?.remove();
    apartUser?.remove();
    await apart?.claude.remove();
    if (apart) fs.rmSync(apart.workdir, { recursive: true, force: true });
  });

  const put = (body: unknown) => ({ method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  /** Runs one Bash command as the agent of a task and returns what the tool printed. */
  async function runAsAgent(prompt: string, command: string, slot = 'shell'): Promise<string> {
    replies[prompt] = [
      { text: 'Running it.', toolUses: [{ name: 'Bash', input: { command, description: 'Look around' } }] },
      { text: 'Done.' },
    ];
    const task = await bed.system.core.tasks.ask({ prompt, slot });
    expect(task, worker.output().slice(-3_000)).toMatchObject({ status: 'succeeded', result: 'Done.' });
    const result = bed.stub.requests.flatMap((request) => request.toolResults).at(-1);
    expect(result).toBeDefined();
    return result!.content;
  }

  it('runs claude as the agent user, owning its HOME and working folder, with no Mission variable in its environment', async () => {
    const output = await runAsAgent('who am I', 'id -u; id -G; echo "home=$HOME"; env | cut -d= -f1 | sort');
    const [uid, groups] = output.split('\n');
    expect(Number(uid)).toBe(agentUser.uid);
    // Only its own group: the worker's supplementary groups (root's) are dropped.
    expect(groups?.trim().split(' ')).toEqual([String(fs.statSync(bed.workdir).gid)]);
    expect(output).toContain(`home=${bed.claude.home}`);
    expect(fs.statSync(bed.workdir).uid).toBe(agentUser.uid);
    expect(fs.statSync(bed.claude.home).uid).toBe(agentUser.uid);
    const names = output.split('\n').slice(3);
    expect(names).toContain('ANTHROPIC_BASE_URL');
    // MISSION_PROMPT_KEY is the task's own key to its permission prompts (named by its MCP config).
    expect(names.filter((name) => /^(DATABASE_URL|REDIS_URL|AWS_|PG)|^MISSION_(?!PROMPT_KEY$)/.test(name))).toEqual([]);
  });

  it('a walk of /proc/*/environ from the agent finds none of the worker’s secrets, only its own variables', async () => {
    const output = await runAsAgent('walk proc', 'cat /proc/[0-9]*/environ 2>/dev/null | tr "\\0" "\\n" | sort -u');
    // The walk read something: the environment of the agent's own processes.
    expect(output).toContain(`ANTHROPIC_BASE_URL=${bed.stub.url}`);
    for (const secret of [approvalSecret, cloudSecret, bed.system.config.databaseUrl!, bed.system.config.redisUrl!])
      expect(output).not.toContain(secret);
    expect(output).not.toMatch(/^(DATABASE_URL|REDIS_URL|MISSION_APPROVAL_SECRET|AWS_SECRET_ACCESS_KEY)=/m);
    // The worker's own environ is there to read for its user, and not for the agent's.
    const workerEnviron = fs.readFileSync(`/proc/${worker.child.pid}/environ`, 'utf8');
    expect(workerEnviron).toContain(approvalSecret);
    const direct = await runAsAgent('read the worker', `cat /proc/${worker.child.pid}/environ; echo "exit=$?"`);
    expect(direct).toMatch(/Permission denied/);
    expect(direct).not.toContain(approvalSecret);
  });

  it('an interactive session (PTY) runs as the agent user too', async () => {
    replies['who am I in a terminal'] = [
      { text: 'Checking.', toolUses: [{ name: 'Bash', input: { command: 'id -u', description: 'Who' } }] },
      { text: 'Checked.' },
    ];
    const spawned = await bed.system.fetch('/v1/sessions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ slot: 'shell' }),
    });
    const { id } = (await spawned.json()) as { id: string };
    const sent = await bed.system.fetch(`/v1/sessions/${id}/send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'who am I in a terminal' }),
    });
    expect(await sent.json(), worker.output().slice(-3_000)).toMatchObject({ state: 'idle', response: 'Checked.' });
    expect(
      bed.stub.requests
        .flatMap((request) => request.toolResults)
        .at(-1)
        ?.content.trim(),
    ).toBe(String(agentUser.uid));
    await bed.system.fetch(`/v1/sessions/${id}/kill`, { method: 'POST' });
  });

  it("the worker's own files (mode 600) are unreadable to the agent", async () => {
    const output = await runAsAgent('read the file', `cat ${secretFile}; echo "exit=$?"`);
    expect(output).toMatch(/Permission denied/);
    expect(output).not.toContain(cloudSecret);
  });

  it("a slot named in MISSION_SLOT_AGENT_USERS runs as its own user: the other slots' folders are closed to it", async () => {
    await runAsAgent('leave a note', 'echo private-note > note.txt; chmod 600 note.txt; id -u');
    const output = await runAsAgent(
      'read the other slot',
      `id -u; echo "home=$HOME"; cat ${path.join(bed.workdir, 'note.txt')}; ls ${bed.claude.home}; echo "exit=$?"`,
      'apart-1',
    );
    expect(Number(output.split('\n')[0])).toBe(apartUser.uid);
    expect(output).toContain(`home=${apart.claude.home}`);
    expect(output).toMatch(/Permission denied/);
    expect(output).not.toContain('private-note');
    expect(fs.statSync(apart.workdir).uid).toBe(apartUser.uid);
    expect(fs.statSync(bed.workdir).uid).toBe(agentUser.uid);
  });
});
