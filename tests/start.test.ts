import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLAUDE_BIN, type ClaudeHome, prepareClaudeHome } from './support/claudeEnv.ts';
import { openIdleConnection } from './support/idleConnection.ts';
import { exited, startMission } from './support/npmStart.ts';
import { unusedPort } from './support/ports.ts';
import { commandLine, processesIn, waitUntil } from './support/processes.ts';
import { startStubAnthropic, type StubAnthropic } from './support/stubAnthropic.ts';

describe('npm start on embedded defaults (private redis-server, PGlite)', () => {
  let stub: StubAnthropic;
  let claude: ClaudeHome;
  let dir: string;
  let url: string;
  let mission: ReturnType<typeof startMission>;

  beforeAll(async () => {
    stub = await startStubAnthropic();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mission-start-'));
    fs.mkdirSync(path.join(dir, 'work'));
    claude = prepareClaudeHome({ apiUrl: stub.url, trustedDirs: [path.join(dir, 'work')] });
    fs.writeFileSync(path.join(dir, 'slots.yaml'), `slots:\n  default:\n    cwd: ./work\n    env: ${JSON.stringify(claude.env)}\n`);
    const port = await unusedPort();
    url = `http://127.0.0.1:${port}`;
    mission = startMission({
      PORT: String(port),
      MISSION_DATA_DIR: path.join(dir, 'data'),
      MISSION_SLOTS_FILE: path.join(dir, 'slots.yaml'),
      MISSION_CLAUDE_BIN: CLAUDE_BIN,
      MISSION_SHUTDOWN_GRACE_MS: '1000',
    });
    await waitUntil(
      async () => (await fetch(`${url}/readyz`).catch(() => null))?.status === 200,
      60_000,
      `Mission to be ready:\n${mission.output()}`,
    );
  });
  afterAll(async () => {
    mission?.child.kill('SIGKILL');
    await stub?.close();
    await claude?.remove();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // Agents reach what the worker reaches, the loopback included: its Redis asks for a password, which no command line shows.
  it('its redis-server wants a password that only its files hold: a client without it is refused, the log hides it', async () => {
    const [redisPid] = processesIn(path.join(dir, 'data'));
    const port = Number(/:(\d+)/.exec(commandLine(redisPid!))?.[1]);
    const password = /^requirepass (\S+)$/m.exec(fs.readFileSync(path.join(dir, 'data', 'redis.conf'), 'utf8'))![1]!;
    expect(fs.statSync(path.join(dir, 'data', 'redis.conf')).mode & 0o777).toBe(0o600);
    expect(commandLine(redisPid!)).not.toContain(password);
    const ask = (command: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1', () => socket.end(command));
        let answer = '';
        socket
          .on('data', (data) => (answer += data.toString()))
          .once('end', () => resolve(answer))
          .once('error', reject);
      });
    expect(await ask('PING\r\n')).toMatch(/^-NOAUTH/);
    expect(await ask(`AUTH ${password}\r\nPING\r\n`)).toBe('+OK\r\n+PONG\r\n');
    expect(mission.output()).toContain('"redis":"redis://:[redacted]@127.0.0.1:');
    expect(mission.output()).not.toContain(password);
  });

  it('runs a task end to end, then stops cleanly on SIGTERM, taking its redis-server with it; a connection no request came on does not hold it', async () => {
    expect(processesIn(path.join(dir, 'data')).length).toBe(1); // the private redis-server works in the data dir
    stub.enqueue({ text: 'Hello from npm start.' });
    const res = await fetch(`${url}/v1/ask`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'hi' }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { answer: string }).answer).toBe('Hello from npm start.');
    expect(fs.existsSync(path.join(dir, 'data', 'pgdata'))).toBe(true);

    // A connection opened ahead of a request never made (a browser's preconnect): Node's own close would wait for its
    // headers to time out (60 s and more), past this test's time.
    const unused = await openIdleConnection(url);
    mission.child.kill('SIGTERM');
    expect(await exited(mission.child)).toEqual({ code: 0, signal: null });
    await unused.closed;
    expect(processesIn(path.join(dir, 'data'))).toEqual([]);
  });
});

// Before its shutdown was in place from the start, a SIGTERM that came while it started (its API answering already)
// killed it by the signal's default action: its redis-server left running, PGlite not closed.
describe('npm start stopped while it starts', () => {
  it('a SIGTERM once its storage is up: it finishes starting, then stops cleanly, taking its redis-server with it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mission-stop-starting-'));
    const data = path.join(dir, 'data');
    try {
      const mission = startMission({ PORT: String(await unusedPort()), MISSION_DATA_DIR: data, MISSION_CLAUDE_BIN: CLAUDE_BIN });
      await waitUntil(async () => mission.output().includes('storage ready'), 60_000, `its storage to be ready:\n${mission.output()}`);
      expect(processesIn(data).length).toBe(1);
      mission.child.kill('SIGTERM');
      expect(await exited(mission.child), mission.output()).toEqual({ code: 0, signal: null });
      expect(mission.output()).toContain('Mission is up');
      expect(mission.output()).toContain('shutting down');
      expect(processesIn(data)).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('npm start without Redis', () => {
  it('says in one line how to get Redis and exits non-zero', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mission-noredis-'));
    const emptyPath = fs.mkdtempSync(path.join(os.tmpdir(), 'mission-empty-path-'));
    const mission = startMission({ PATH: emptyPath, MISSION_DATA_DIR: dir, PORT: String(await unusedPort()) });
    expect(await exited(mission.child)).toEqual({ code: 1, signal: null });
    const lines = mission.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^mission: Redis is needed: set REDIS_URL=.*apt-get install redis-server/);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(emptyPath, { recursive: true, force: true });
  });
});
