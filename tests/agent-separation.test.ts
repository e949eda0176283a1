import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MissionEvent, Session, SessionTurn } from '@mission/contracts';
import { claudeHomePaths } from '@mission/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canSwitchUsers, createAgentUser, type TestAgentUser } from './support/agentUser.ts';
import { type ClaudeHome, prepareClaudeHome } from './support/claudeEnv.ts';
import { type ClaudeTestBed, startClaudeTestBed } from './support/claudeTestBed.ts';
import { commandLine, processesIn, waitUntil } from './support/processes.ts';
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

  // The documented way to give agents a folder is to make it their user's: git refuses a repository of another user
  // ("dubious ownership"), so the worktree's git runs as the agent — as root, the worker's git refused the agent's
  // repository and the session ended saying its folder was in no git repository.
  it("a session's git worktree is the agent user's: made, committed in and resumed in a repository of its own", async () => {
    const git = (cwd: string, ...args: string[]) =>
      execFileSync('git', ['-c', 'safe.directory=*', ...args], { cwd, encoding: 'utf8' }).trim();
    const repo = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mission-agent-repo-')));
    const rootRepo = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mission-root-repo-')));
    try {
      for (const dir of [repo, rootRepo]) {
        git(dir, 'init', '-q', '-b', 'main');
        fs.writeFileSync(path.join(dir, 'README.md'), 'a repository\n');
        git(dir, 'add', 'README.md');
        git(dir, '-c', 'user.name=Test', '-c', 'user.email=test@example.com', 'commit', '-q', '-m', 'first');
      }
      execFileSync('chown', ['-R', agentUser.name, repo]);
      // Readable to all, as a checkout usually is: git itself refuses it to another user.
      fs.chmodSync(rootRepo, 0o755);
      const slot = { role: 'shell', env: bed.claude.env, workspace: 'worktree', keepWorkspace: true };
      expect((await bed.system.fetch('/v1/slots/agent-tree', put({ ...slot, cwd: repo }))).status).toBe(200);
      expect((await bed.system.fetch('/v1/slots/root-tree', put({ ...slot, cwd: rootRepo }))).status).toBe(200);
      const call = <T>(method: string, route: string, body?: unknown) => bed.system.call<T>(method, route, body);
      const stateIs = (id: string, state: string) =>
        waitUntil(async () => (await call<Session>('GET', `/v1/sessions/${id}`)).body.state === state, 30_000, `session ${id} ${state}`);

      const { body: session } = await call<Session>('POST', '/v1/sessions', { slot: 'agent-tree' });
      const worktree = path.join(repo, '.claude', 'worktrees', `mission-${session.id}`);
      const commit =
        'echo work > work.txt && git add work.txt && git -c user.name=Agent -c user.email=agent@example.com commit -qm work && git log --format=%s -1';
      replies['commit in the worktree'] = [
        { text: 'Committing.', toolUses: [{ name: 'Bash', input: { command: commit, description: 'Commit' } }] },
        { text: 'Committed.' },
      ];
      const turn = await call<SessionTurn>('POST', `/v1/sessions/${session.id}/send`, {
        text: 'commit in the worktree',
        timeoutMs: 30_000,
      });
      expect(turn.body, worker.output().slice(-3_000)).toMatchObject({ state: 'idle', response: 'Committed.' });
      expect(
        bed.stub.requests
          .flatMap((request) => request.toolResults)
          .at(-1)
          ?.content.trim(),
      ).toBe('work');
      expect(fs.statSync(worktree).uid).toBe(agentUser.uid);
      await call('POST', `/v1/sessions/${session.id}/kill`);
      await stateIs(session.id, 'exited');
      expect(git(repo, 'log', '--format=%s', '-1', `mission/${session.id}`)).toBe('work');
      // Resumed, it goes on in the worktree it left (the check that it is there runs as the agent too).
      expect((await call('POST', `/v1/sessions/${session.id}/resume`)).status).toBe(200);
      await stateIs(session.id, 'idle');
      expect(fs.readFileSync(path.join(worktree, 'work.txt'), 'utf8')).toBe('work\n');
      expect(
        git(repo, 'worktree', 'list')
          .split('\n')
          .filter((line) => line.includes(`mission-${session.id}`)),
      ).toHaveLength(1);
      await call('POST', `/v1/sessions/${session.id}/kill`);
      await stateIs(session.id, 'exited');

      // A repository of another user (the worker's): the session ends at once, saying why and what to do.
      const { body: refused } = await call<Session>('POST', '/v1/sessions', { slot: 'root-tree' });
      await stateIs(refused.id, 'exited');
      const log = (await bed.system.core.events.list(refused.id, 0, { limit: 100 })) as MissionEvent[];
      expect(log.find((event) => event.type === 'error')?.payload).toMatchObject({
        code: 'spawn_failed',
        message: expect.stringMatching(/git refuses the repository holding .* to the agent user '.*', as it belongs to another user/),
      });
    } finally {
      fs.rmSync(repo, { recursive: true, force: true });
      fs.rmSync(rootRepo, { recursive: true, force: true });
    }
  });

  // The worker runs as root and prepares the agent's CLI home before a session: it read the config through a link
  // the agent made to a file of the worker's and wrote it back, Mission's settings added, as the agent's own file.
  it("the worker follows no link out of the agent's home: a file of the worker's linked there is neither read nor copied", async () => {
    const secretJson = path.join(bed.system.config.dataDir, 'worker-only.json');
    fs.writeFileSync(secretJson, JSON.stringify({ token: cloudSecret }), { mode: 0o600 });
    const config = claudeHomePaths(apart.claude.env).config;
    const kept = fs.readFileSync(config);
    try {
      await runAsAgent('link the config out', `ln -sf ${secretJson} ${config} && echo linked`, 'apart-1');
      expect(fs.lstatSync(config).isSymbolicLink()).toBe(true);
      const { body: session } = await bed.system.call<Session>('POST', '/v1/sessions', { slot: 'apart-1' });
      await waitUntil(
        async () => (await bed.system.call<Session>('GET', `/v1/sessions/${session.id}`)).body.state === 'exited',
        30_000,
        'the session to end',
      );
      const log = (await bed.system.core.events.list(session.id, 0, { limit: 100 })) as MissionEvent[];
      expect(log.find((event) => event.type === 'error')?.payload).toMatchObject({
        code: 'spawn_failed',
        message: `could not prepare Claude Code's home: ${config} is a link: the worker follows no link in ${apart.claude.home}, another user's folder`,
      });
      expect(JSON.stringify(log)).not.toContain(cloudSecret);
      // The link is as the agent left it: nothing of the worker's file was written where the agent reads.
      expect(fs.lstatSync(config).isSymbolicLink()).toBe(true);
    } finally {
      fs.rmSync(config, { force: true });
      fs.writeFileSync(config, kept);
      execFileSync('chown', [apartUser.name, config]);
      fs.rmSync(secretJson, { force: true });
    }
  });

  // The hooks' secret is in the CLI's environment, so its agent can post hook calls of its own: one naming a file of
  // the worker's as the transcript had the worker (root) read it and tell its lines as the session's replies. The
  // worker now takes hook calls only from the session's claude process (agentCaller.ts); the transcript's checks
  // (under the CLI's home, the agent's own file) stay behind that for machines where /proc cannot tell.
  it('a hook call the agent forges is refused, whatever file it names: the worker reads neither', async () => {
    const leaked = path.join(bed.system.config.dataDir, 'worker-transcript.jsonl');
    const record = { type: 'assistant', message: { content: [{ type: 'text', text: `leaked ${cloudSecret}` }] } };
    fs.writeFileSync(leaked, `${JSON.stringify(record)}\n`, { mode: 0o600 });
    const { body: session } = await bed.system.call<Session>('POST', '/v1/sessions', { slot: 'shell' });
    try {
      await waitUntil(
        async () => (await bed.system.call<Session>('GET', `/v1/sessions/${session.id}`)).body.state === 'idle',
        30_000,
        'idle',
      );
      const claudePid = processesIn(bed.workdir).find((pid) => commandLine(pid).includes(session.claudeSessionId!));
      const argv = fs.readFileSync(`/proc/${claudePid}/cmdline`, 'utf8').split('\0');
      const { url } = (JSON.parse(argv[argv.indexOf('--settings') + 1]!) as { hooks: { Stop: { hooks: { url: string }[] }[] } }).hooks
        .Stop[0]!.hooks[0]!;
      const linked = path.join(claudeHomePaths(bed.claude.env).projects, 'forged', 'transcript.jsonl');
      const forge = (transcript: string) =>
        `curl -s -o /dev/null -w '%{http_code} ' -X POST -H "x-mission-hook-secret: $MISSION_HOOK_SECRET" -H 'content-type: application/json' --data '${JSON.stringify({ hook_event_name: 'Notification', session_id: session.claudeSessionId, transcript_path: transcript, message: 'forged' })}' ${url}`;
      const command = `${forge(leaked)}; mkdir -p ${path.dirname(linked)} && ln -sf ${leaked} ${linked} && ${forge(linked)}`;
      replies['forge hook calls'] = [
        { text: 'Forging.', toolUses: [{ name: 'Bash', input: { command, description: 'Forge' } }] },
        { text: 'Forged.' },
      ];
      const turn = await bed.system.call<SessionTurn>('POST', `/v1/sessions/${session.id}/send`, {
        text: 'forge hook calls',
        timeoutMs: 30_000,
      });
      expect(turn.body, worker.output().slice(-3_000)).toMatchObject({ state: 'idle', response: 'Forged.' });
      // The worker refused both calls (they came from the agent's command, not its claude) and read neither file.
      expect(
        bed.stub.requests
          .flatMap((request) => request.toolResults)
          .at(-1)
          ?.content.trim(),
      ).toBe('403 403');
      const log = await bed.system.core.events.list(session.id, 0, { limit: 1_000 });
      expect(JSON.stringify(log)).not.toContain(cloudSecret);
      expect(worker.output()).toContain("a hook call with the session's secret came from another process than its claude: refused");
      expect(worker.output()).not.toContain("a hook call named a transcript outside the CLI's home");
      // Its own transcript is still read: the next reply arrives.
      replies['after the forgery'] = [{ text: 'Still here.' }];
      const next = await bed.system.call<SessionTurn>('POST', `/v1/sessions/${session.id}/send`, {
        text: 'after the forgery',
        timeoutMs: 30_000,
      });
      expect(next.body).toMatchObject({ state: 'idle', response: 'Still here.' });
    } finally {
      await bed.system.call('POST', `/v1/sessions/${session.id}/kill`);
      fs.rmSync(leaked, { force: true });
    }
  });
});
