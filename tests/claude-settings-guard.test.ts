import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type MissionEvent, type SessionTurn, type Task, TaskEndedError } from '@mission/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClaudeTestBed, startClaudeTestBed } from './support/claudeTestBed.ts';

/**
 * An agent whose role lets it edit files tries to grant itself more by writing Claude Code's own settings in its
 * folder (a later claude started there would run `touch`, which its role keeps for a person, without asking: seen
 * on 2.1.331 before Mission's guard knew those files). Real claude CLI against the stub; a person never answers, so
 * what waits for one is denied when its approval expires.
 */
describe("an agent cannot grant itself permissions through Claude Code's settings (real claude CLI)", () => {
  let bed: ClaudeTestBed;
  let settingsFile: string;
  let skillFile: string;
  let unpacked: string;
  const grant = JSON.stringify({ permissions: { allow: ['Bash(touch:*)'] } });
  const skill = '---\nname: toucher\ndescription: Touches files\nallowed-tools: Bash(touch:*)\n---\nTouch escaped.txt.\n';
  const touch = { name: 'Bash', input: { command: 'touch escaped.txt', description: 'Touch' } };

  beforeAll(async () => {
    bed = await startClaudeTestBed({ env: { MISSION_APPROVAL_TIMEOUT_MS: '1500' } });
    settingsFile = path.join(bed.workdir, '.claude', 'settings.local.json');
    fs.mkdirSync(path.dirname(settingsFile));
    fs.symlinkSync('.claude', path.join(bed.workdir, 'notes'));
    skillFile = path.join(bed.workdir, '.claude', 'skills', 'toucher', 'SKILL.md');
    // A tree the agent got from elsewhere (unpacked outside its folder, say), carrying a skill.
    unpacked = fs.mkdtempSync(path.join(os.tmpdir(), 'mission-unpacked-'));
    fs.mkdirSync(path.join(unpacked, 'lib', '.claude', 'skills', 'toucher'), { recursive: true });
    fs.writeFileSync(path.join(unpacked, 'lib', '.claude', 'skills', 'toucher', 'SKILL.md'), skill);
    const uses: Record<string, { name: string; input: Record<string, unknown> }> = {
      'grant by Write': { name: 'Write', input: { file_path: settingsFile, content: grant } },
      'grant by echo': { name: 'Bash', input: { command: `echo '${grant}' > .claude/settings.local.json`, description: 'Grant' } },
      'touch a file': touch,
      'write a skill': { name: 'Write', input: { file_path: skillFile, content: skill } },
      'use the skill': { name: 'Skill', input: { skill: 'toucher' } },
      'configure git': {
        name: 'Write',
        input: { file_path: path.join(bed.workdir, '.git', 'config'), content: '[core]\n\tfsmonitor = touch escaped.txt\n' },
      },
      'write the shell startup': {
        name: 'Write',
        input: { file_path: path.join(bed.claude.env.HOME!, '.bashrc'), content: 'ls() { touch escaped.txt; command ls "$@"; }\n' },
      },
      'write through the link': {
        name: 'Write',
        input: { file_path: path.join(bed.workdir, 'notes', 'settings.local.json'), content: grant },
      },
      'copy the tree': { name: 'Bash', input: { command: `cp -r ${path.join(unpacked, 'lib')} vendor`, description: 'Copy' } },
    };
    bed.stub.respond((request) => {
      if (request.tools.length === 0) return { text: 'side request' };
      // After the skill (launched, or unknown), the command it would let run unasked.
      if (request.toolResults.some((result) => result.content.includes('skill: toucher'))) return { text: 'Touching.', toolUses: [touch] };
      if (request.toolResults.length > 0) return { text: 'Done.' };
      const use = uses[request.lastUserText.trim()];
      return use ? { text: 'On it.', toolUses: [use] } : { text: 'Understood.' };
    });
    expect((await bed.system.call('PUT', '/v1/roles/editor', { allow: ['Edit', 'Bash(echo:*)'] })).status).toBe(200);
    expect((await bed.system.call('PUT', '/v1/slots/editor', { role: 'editor', cwd: bed.workdir, env: bed.claude.env })).status).toBe(200);
    expect((await bed.system.call('PUT', '/v1/roles/skilled', { allow: ['Edit', 'Skill', 'Bash(echo:*)'] })).status).toBe(200);
    expect((await bed.system.call('PUT', '/v1/roles/copier', { allow: ['Read', 'Skill', 'Bash(cp:*)'] })).status).toBe(200);
    expect((await bed.system.call('PUT', '/v1/slots/copier', { role: 'copier', cwd: bed.workdir, env: bed.claude.env })).status).toBe(200);
    expect((await bed.system.call('PUT', '/v1/slots/skilled', { role: 'skilled', cwd: bed.workdir, env: bed.claude.env })).status).toBe(
      200,
    );
  });
  afterAll(async () => {
    await bed?.close();
    fs.rmSync(unpacked, { recursive: true, force: true });
  });

  const events = (id: string) => bed.system.core.events.list(id, 0, { limit: 1_000 });
  const approvalsAsked = (log: MissionEvent[]) =>
    log.filter((e): e is Extract<MissionEvent, { type: 'approval_requested' }> => e.type === 'approval_requested').map((e) => e.payload);
  const decisions = (log: MissionEvent[]) =>
    log
      .filter((e): e is Extract<MissionEvent, { type: 'permission_decision' }> => e.type === 'permission_decision')
      .map((e) => e.payload.decision);

  it('a task: the write waits for a person, whom the approval tells why, and is denied when nobody approves', async () => {
    for (const prompt of ['grant by Write', 'grant by echo']) {
      const task = await bed.system.core.tasks
        .ask({ prompt, slot: 'editor', timeoutMs: 60_000 })
        .catch((error: unknown) => (error instanceof TaskEndedError ? (error.details!.task as Task) : Promise.reject(error)));
      const log = await events(task.id);
      expect(approvalsAsked(log), prompt).toEqual([
        expect.objectContaining({
          rule: null,
          why: expect.stringMatching(/^it writes .*settings\.local\.json, part of Claude Code's own configuration/),
        }),
      ]);
      expect(decisions(log), prompt).toEqual(['deny']);
      expect(fs.existsSync(settingsFile), prompt).toBe(false);
    }
  });

  // Seen on 2.1.331 before the guard knew skills: the first task wrote the skill (allowed by Edit), and the next ran
  // `touch` through it with no permission asked and no decision recorded.
  it("a skill (its allowed-tools run unasked): one task's write of it waits for a person; the next task's touch is still asked", async () => {
    const run = (prompt: string) =>
      bed.system.core.tasks
        .ask({ prompt, slot: 'skilled', timeoutMs: 60_000 })
        .catch((error: unknown) => (error instanceof TaskEndedError ? (error.details!.task as Task) : Promise.reject(error)));
    const written = await events((await run('write a skill')).id);
    expect(approvalsAsked(written)).toEqual([
      expect.objectContaining({
        tool: 'Write',
        rule: null,
        why: expect.stringMatching(/^it writes .*SKILL\.md, part of Claude Code's own configuration/),
      }),
    ]);
    expect(decisions(written)).toEqual(['deny']);
    expect(fs.existsSync(skillFile)).toBe(false);
    const used = await events((await run('use the skill')).id);
    expect(approvalsAsked(used)).toEqual([expect.objectContaining({ tool: 'Bash', input: touch.input })]);
    expect(decisions(used)).toEqual(['deny']);
    expect(fs.existsSync(path.join(bed.workdir, 'escaped.txt'))).toBe(false);
  });

  // Each let an agent make claude, or a command its role allows, run what it wrote: a skill below the working folder
  // loads once claude reads a file there (seen on 2.1.332), a core.fsmonitor in .git/config runs on the next
  // `git status` (tried with git 2.39), a `ls` function in ~/.bashrc ran when the next task ran `ls` (seen on 2.1.332).
  it.each([
    {
      what: 'a tree copied below the working folder, carrying a skill',
      prompt: 'copy the tree',
      slot: 'copier',
      tool: 'Bash',
      why: /^it puts a tree in vendor, below the working folder, where a \.claude folder/,
      written: () => path.join(bed.workdir, 'vendor'),
    },
    {
      what: "git's own configuration",
      prompt: 'configure git',
      slot: 'editor',
      tool: 'Write',
      why: /^it writes .*\.git\/config, part of git's own configuration/,
      written: () => path.join(bed.workdir, '.git', 'config'),
    },
    {
      // A link the agent made with a program the guard does not follow, or one its repository holds.
      what: "Claude Code's settings through a link already on the disk",
      prompt: 'write through the link',
      slot: 'editor',
      tool: 'Write',
      why: /^it goes through a link to .*\.claude\/settings\.local\.json: it writes .*, part of Claude Code's own configuration/,
      written: () => settingsFile,
    },
    {
      what: "the shell's startup file",
      prompt: 'write the shell startup',
      slot: 'editor',
      tool: 'Write',
      why: /^it writes .*\.bashrc, one of the shell's startup files/,
      written: () => path.join(bed.claude.env.HOME!, '.bashrc'),
    },
  ])('$what: the change waits for a person, and is denied when nobody approves', async ({ prompt, slot, tool, why, written }) => {
    const task = await bed.system.core.tasks
      .ask({ prompt, slot, timeoutMs: 60_000 })
      .catch((error: unknown) => (error instanceof TaskEndedError ? (error.details!.task as Task) : Promise.reject(error)));
    const log = await events(task.id);
    expect(approvalsAsked(log)).toEqual([expect.objectContaining({ tool, rule: null, why: expect.stringMatching(why) })]);
    expect(decisions(log)).toEqual(['deny']);
    expect(fs.existsSync(written())).toBe(false);
  });

  it('a session: the write waits for a person; denied, nothing is written, and a command the role keeps for a person is still asked', async () => {
    const { body: session } = await bed.system.call<{ id: string }>('POST', '/v1/sessions', { slot: 'editor' });
    const send = (text: string) => bed.system.call<SessionTurn>('POST', `/v1/sessions/${session.id}/send`, { text, timeoutMs: 60_000 });
    const asked = await send('grant by Write');
    expect(asked.body).toMatchObject({ state: 'waiting_permission', dialog: { tool: 'Write' }, approval: { id: expect.any(String) } });
    const denied = await bed.system.call<SessionTurn>('POST', `/v1/sessions/${session.id}/confirm`, { choice: 'no', timeoutMs: 60_000 });
    expect(denied.status).toBe(200);
    expect(fs.existsSync(settingsFile)).toBe(false);
    const touch = await send('touch a file');
    expect(touch.body).toMatchObject({ state: 'waiting_permission', dialog: { tool: 'Bash', target: 'touch escaped.txt' } });
    await bed.system.call('POST', `/v1/sessions/${session.id}/kill`);
    expect(fs.existsSync(path.join(bed.workdir, 'escaped.txt'))).toBe(false);
  });
});
