import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { savedCost, savedConversation } from './savedConversation.ts';

/** A transcript the real CLI (2.1.331) wrote: two queue operations, then the prompt, its turn's records and the reply. */
const RECORDED = path.resolve(
  import.meta.dirname,
  '../../../../tests/fixtures/transcripts/home/.claude/projects/-tmp-rec-work-m2HIW1/805d28f8-9ba8-4335-906e-92d69c731da6.jsonl',
);
const ID = '805d28f8-9ba8-4335-906e-92d69c731da6';
const recorded = fs.readFileSync(RECORDED, 'utf8').split('\n').filter(Boolean);

describe('savedConversation: what `claude --resume` would find', () => {
  let projects: string;
  const write = (project: string, text: string) => {
    fs.mkdirSync(path.join(projects, project), { recursive: true });
    const file = path.join(projects, project, `${ID}.jsonl`);
    fs.writeFileSync(file, text);
    return file;
  };

  beforeEach(() => {
    projects = fs.mkdtempSync(path.join(os.tmpdir(), 'mission-projects-'));
  });
  afterEach(() => fs.rmSync(projects, { recursive: true, force: true }));

  it('a saved conversation: the sizes of its transcripts', async () => {
    const file = write('-work-a', `${recorded.join('\n')}\n`);
    expect(await savedConversation(projects, ID)).toEqual(new Map([[file, fs.statSync(file).size]]));
  });

  it('nothing saved: no projects folder, no transcript, or one with only the queue of the prompt', async () => {
    expect(await savedConversation(path.join(projects, 'none'), ID)).toBeNull();
    fs.mkdirSync(path.join(projects, '-work-a'));
    expect(await savedConversation(projects, ID)).toBeNull();
    // Killed between its saves: the prompt's queue was written, the prompt not yet (a torn line after it).
    write('-work-a', `${recorded.slice(0, 2).join('\n')}\n${recorded[2]!.slice(0, 80)}`);
    expect(recorded[2]).toContain('"type":"user"');
    expect(await savedConversation(projects, ID)).toBeNull();
  });

  it('a prompt saved in one project folder of several is enough; every transcript is sized', async () => {
    const bare = write('-work-a', `${recorded.slice(0, 2).join('\n')}\n`);
    const saved = write('-work-b', `${recorded.slice(0, 3).join('\n')}\n`);
    expect(await savedConversation(projects, ID)).toEqual(
      new Map([
        [bare, fs.statSync(bare).size],
        [saved, fs.statSync(saved).size],
      ]),
    );
  });

  // A worker running as root reads its agent's transcripts only as the agent's own files (`owner`, nobody here).
  it.skipIf(process.getuid?.() !== 0)("not the agent's own file (a link to another's, a FIFO): no conversation, read at once", async () => {
    const other = write('-other', `${recorded.join('\n')}\n`);
    fs.mkdirSync(path.join(projects, '-work-a'));
    fs.symlinkSync(other, path.join(projects, '-work-a', `${ID}.jsonl`));
    expect(await savedConversation(projects, ID, 65534)).toBeNull();
    fs.rmSync(path.join(projects, '-work-a', `${ID}.jsonl`));
    execFileSync('mkfifo', [path.join(projects, '-work-a', `${ID}.jsonl`)]);
    fs.rmSync(other);
    expect(await savedConversation(projects, ID, 65534)).toBeNull();
    // The agent's own: read.
    fs.rmSync(path.join(projects, '-work-a', `${ID}.jsonl`));
    const own = write('-work-a', `${recorded.join('\n')}\n`);
    fs.chownSync(own, 65534, 65534);
    expect(await savedConversation(projects, ID, 65534)).toEqual(new Map([[own, fs.statSync(own).size]]));
  });
});

describe('savedCost: what a session cost as its claude last exited (a resumed claude counts on from it)', () => {
  let projects: string;
  beforeEach(() => {
    projects = fs.mkdtempSync(path.join(os.tmpdir(), 'mission-projects-'));
  });
  afterEach(() => fs.rmSync(projects, { recursive: true, force: true }));
  /** A `cost-state` record as CLI 2.1.332 writes it as a `-p` run exits (its other fields left out). */
  const costState = (totalCostUSD: number, inputTokens: number) =>
    JSON.stringify({
      type: 'cost-state',
      sessionId: ID,
      totalCostUSD,
      modelUsage: { 'claude-opus-5-5': { inputTokens, outputTokens: 12, costUSD: totalCostUSD } },
      hasUnknownModelCost: false,
    });

  it("the last cost-state of the session's transcript; none before its claude first exited", async () => {
    expect(await savedCost({ projects, root: projects }, ID)).toBeNull();
    fs.mkdirSync(path.join(projects, '-work-a'));
    const file = path.join(projects, '-work-a', `${ID}.jsonl`);
    fs.writeFileSync(file, `${recorded.slice(0, 3).join('\n')}\n`);
    expect(await savedCost({ projects, root: projects }, ID)).toBeNull();
    fs.appendFileSync(file, `${costState(0.00034, 25)}\n${recorded.slice(3).join('\n')}\n${costState(0.00068, 50)}\n{"type":"cost-st`);
    expect(await savedCost({ projects, root: projects }, ID)).toEqual({
      costUsd: 0.00068,
      modelUsage: { 'claude-opus-5-5': { inputTokens: 50, outputTokens: 12, costUSD: 0.00068 } },
    });
  });
});
