import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { inheritedAgentEnv } from '@mission/contracts';
import { loadConfig } from '@mission/store';
import { AgentLauncher, AgentUserError, agentUserName, parsePasswdLine } from './agentProcess.ts';

describe('how an agent process is launched', () => {
  it('runs agents as mission-agent when the worker is root and nothing is set, as the worker otherwise', () => {
    expect(agentUserName(undefined, 0)).toBe('mission-agent');
    expect(agentUserName(undefined, 1000)).toBeNull();
    expect(agentUserName('builder', 0)).toBe('builder');
    expect(agentUserName('1001', 1000)).toBe('1001');
  });

  it('reads passwd lines', () => {
    expect(parsePasswdLine('mission-agent:x:999:998::/home/mission-agent:/usr/sbin/nologin\n')).toEqual({
      user: 'mission-agent',
      uid: 999,
      gid: 998,
      home: '/home/mission-agent',
    });
    expect(parsePasswdLine('')).toBeNull();
    expect(parsePasswdLine('broken:x:abc:1::/:/bin/sh')).toBeNull();
  });

  it('inherits an allow-list of the worker environment: never Mission settings, databases or cloud credentials', () => {
    const worker = {
      PATH: '/usr/bin',
      HOME: '/root',
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
      ANTHROPIC_API_KEY: 'k',
      CLAUDE_CODE_USE_BEDROCK: '1',
      DISABLE_AUTOUPDATER: '1',
      HTTPS_PROXY: 'http://proxy:3128',
      DATABASE_URL: 'postgres://u:p@db/x',
      REDIS_URL: 'redis://r',
      MISSION_APPROVAL_SECRET: 's',
      MISSION_TOKEN: 't',
      PGPASSWORD: 'p',
      AWS_SECRET_ACCESS_KEY: 'a',
      NODE_OPTIONS: '--require /tmp/x.js',
      LD_PRELOAD: '/tmp/x.so',
      npm_config_nodedir: '/x',
    };
    expect(inheritedAgentEnv(worker)).toEqual({
      PATH: '/usr/bin',
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
      ANTHROPIC_API_KEY: 'k',
      CLAUDE_CODE_USE_BEDROCK: '1',
      DISABLE_AUTOUPDATER: '1',
      HTTPS_PROXY: 'http://proxy:3128',
    });
  });

  it('builds the environment from scratch: inherited, the agent user’s HOME, the slot’s env, then Mission’s', () => {
    const identity = { user: 'mission-agent', uid: 999, gid: 998, home: '/home/mission-agent' };
    const launcher = new AgentLauncher({
      claudeBin: 'claude',
      inheritedEnv: { PATH: '/usr/bin', TERM: 'dumb' },
      identity,
      workerUid: 0,
      workerHome: '/root',
    });
    expect(
      launcher.environment({ slotEnv: { ANTHROPIC_API_KEY: 'slot-key' }, launchEnv: { MISSION_CHILD_TOKEN: 't' }, terminal: true }),
    ).toEqual({
      PATH: '/usr/bin',
      HOME: '/home/mission-agent',
      USER: 'mission-agent',
      LOGNAME: 'mission-agent',
      TERM: 'xterm-256color',
      COLORTERM: 'truecolor',
      ANTHROPIC_API_KEY: 'slot-key',
      MISSION_CHILD_TOKEN: 't',
    });
    const same = new AgentLauncher({ claudeBin: 'claude', inheritedEnv: { PATH: '/usr/bin' }, identity: null, workerHome: '/home/me' });
    expect(same.environment({ slotEnv: { HOME: '/srv/claude-home' }, launchEnv: {} })).toEqual({
      PATH: '/usr/bin',
      HOME: '/srv/claude-home',
    });
  });

  it('switches user with setpriv, dropping the worker’s groups, and runs claude itself (same pid)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mission-agent-launch-'));
    const uid = process.getuid!();
    const identity = { user: 'agent', uid, gid: 4242, home: dir };
    const launcher = new AgentLauncher({
      claudeBin: '/usr/local/bin/claude',
      inheritedEnv: {},
      identity,
      workerUid: uid + 1,
      workerHome: '/root',
    });
    const launch = await launcher.prepare({ args: ['-p'], cwd: dir, slotEnv: {}, launchEnv: {} });
    expect(launch).toMatchObject({
      bin: 'setpriv',
      args: ['--reuid', String(uid), '--regid', '4242', '--clear-groups', '--', '/usr/local/bin/claude', '-p'],
      cwd: dir,
    });
    const same = new AgentLauncher({ claudeBin: '/usr/local/bin/claude', inheritedEnv: {}, identity: null, workerHome: '/root' });
    expect(await same.prepare({ args: ['-p'], cwd: dir, slotEnv: {}, launchEnv: {} })).toEqual({
      bin: '/usr/local/bin/claude',
      args: ['-p'],
      cwd: dir,
      env: { HOME: '/root' },
    });
    fs.rmSync(dir, { recursive: true });
  });

  it('runs the agents of slots named in MISSION_SLOT_AGENT_USERS as their own users, each in its own HOME', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mission-slot-users-'));
    const uid = process.getuid!();
    const shared = { user: 'mission-agent', uid, gid: 4000, home: path.join(dir, 'shared') };
    const deploy = { user: 'agent-deploy', uid, gid: 4001, home: path.join(dir, 'deploy') };
    const launcher = new AgentLauncher({
      claudeBin: 'claude',
      inheritedEnv: {},
      identity: shared,
      slotIdentities: [
        { slot: 'deploy', identity: deploy },
        { slot: 'review-*', identity: null },
      ],
      workerUid: uid + 1,
      workerHome: '/root',
    });
    const deployLaunch = await launcher.prepare({ args: ['-p'], cwd: dir, slot: 'deploy', slotEnv: {}, launchEnv: {} });
    expect(deployLaunch.args.slice(0, 4)).toEqual(['--reuid', String(uid), '--regid', '4001']);
    expect(deployLaunch.env).toMatchObject({ HOME: deploy.home, USER: 'agent-deploy' });
    const other = await launcher.prepare({ args: ['-p'], cwd: dir, slot: 'docs', slotEnv: {}, launchEnv: {} });
    expect(other.args.slice(0, 4)).toEqual(['--reuid', String(uid), '--regid', '4000']);
    expect(other.env).toMatchObject({ HOME: shared.home, USER: 'mission-agent' });
    // A glob, mapped to the worker's own user (null): claude itself, no setpriv.
    expect((await launcher.prepare({ args: ['-p'], cwd: dir, slot: 'review-2', slotEnv: {}, launchEnv: {} })).bin).toBe('claude');
    expect(launcher.agentPlaces('deploy', {})).toEqual({ home: deploy.home });
    expect(launcher.agentPlaces('deploy', { HOME: '/srv/deploy-home' })).toEqual({ home: '/srv/deploy-home' });
    expect(launcher.agentPlaces('deploy', { CLAUDE_CONFIG_DIR: '/srv/deploy-claude' })).toEqual({
      home: deploy.home,
      claudeDir: '/srv/deploy-claude',
    });
    expect(launcher.homes).toEqual([shared.home, deploy.home, '/root']);
    fs.rmSync(dir, { recursive: true });
  });

  it('MISSION_SLOT_AGENT_USERS takes slot=user pairs', () => {
    expect(loadConfig({ MISSION_SLOT_AGENT_USERS: 'deploy=agent-deploy, review-*=agent-review' }).slotAgentUsers).toEqual([
      { slot: 'deploy', user: 'agent-deploy' },
      { slot: 'review-*', user: 'agent-review' },
    ]);
    expect(() => loadConfig({ MISSION_SLOT_AGENT_USERS: 'deploy' })).toThrow(/MISSION_SLOT_AGENT_USERS/);
  });

  it('never hands the worker’s HOME or a top-level folder to the agent user', async () => {
    const identity = { user: 'agent', uid: 4242, gid: 4242, home: '/home/agent' };
    const workerHome = fs.mkdtempSync(path.join(os.tmpdir(), 'mission-worker-home-'));
    const launcher = new AgentLauncher({ claudeBin: 'claude', inheritedEnv: {}, identity, workerUid: process.getuid!(), workerHome });
    await expect(launcher.prepare({ args: [], cwd: workerHome, slotEnv: { HOME: workerHome }, launchEnv: {} })).rejects.toThrow(
      AgentUserError,
    );
    await expect(launcher.prepare({ args: [], cwd: os.tmpdir(), slotEnv: { HOME: '/tmp' }, launchEnv: {} })).rejects.toThrow(
      "/tmp belongs to the worker's user and is not given to the agent user 'agent'",
    );
    expect(fs.statSync(workerHome).uid).toBe(process.getuid!());
    fs.rmSync(workerHome, { recursive: true });
  });

  it('hands over a working folder of the worker’s user only when it is empty or made for the agent, never one with files in it', async () => {
    const identity = { user: 'agent', uid: 4242, gid: 4242, home: '/home/agent' };
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'mission-give-'));
    const [home, checkout, empty, worktree] = [
      path.join(base, 'home'),
      path.join(base, 'checkout'),
      path.join(base, 'empty'),
      path.join(base, 'worktree'),
    ] as const;
    for (const dir of [home, checkout, empty, worktree]) fs.mkdirSync(dir);
    for (const dir of [home, checkout, worktree]) fs.writeFileSync(path.join(dir, 'file.txt'), 'work\n');
    const launcher = new AgentLauncher({
      claudeBin: 'claude',
      inheritedEnv: {},
      identity,
      workerUid: process.getuid!(),
      workerHome: '/root',
    });
    const slotEnv = { HOME: home };

    // Someone's work (the checkout `npm start` ran in): its owner stays, and the error says how to give it.
    await expect(launcher.prepare({ args: [], cwd: checkout, slotEnv, launchEnv: {} })).rejects.toThrow(
      `${checkout} belongs to the worker's user and holds files, so Mission does not give it to the agent user 'agent' on its own: give it (chown -R agent ${checkout})`,
    );
    expect(fs.statSync(checkout).uid).toBe(process.getuid!());
    expect(fs.statSync(path.join(checkout, 'file.txt')).uid).toBe(process.getuid!());

    // An empty folder, a session's worktree the worker made, and the agent's HOME with what is in it: the agent's.
    await launcher.prepare({ args: [], cwd: empty, slotEnv, launchEnv: {} });
    await launcher.prepare({ args: [], cwd: worktree, cwdMadeForAgent: true, slotEnv, launchEnv: {} });
    for (const file of [empty, worktree, path.join(worktree, 'file.txt'), home, path.join(home, 'file.txt')])
      expect(fs.statSync(file).uid).toBe(identity.uid);
    fs.rmSync(base, { recursive: true });
  });
});
