import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MissionEventDraft } from '@mission/contracts';
import { createLogger } from '@mission/store';
import { SubagentTranscripts } from '@mission/worker';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadHookRecording } from './fixtures/recordings.ts';

/**
 * A session's subagent transcripts read as the CLI writes them: the records of tests/fixtures/recordSubagent.ts's
 * agent (it says "Reading.", reads the notes, says "The notes say hello.") appended one at a time, its end told by
 * SubagentStop before or after its last message is written.
 */
describe('SubagentTranscripts', () => {
  const { agentTranscript } = loadHookRecording<{ agentTranscript: Record<string, unknown>[] }>('subagent');
  const agent = { id: 'a5d5ec43b6d9a177b', type: 'general-purpose' };
  const lastMessage = 'The notes say hello.';
  let folder: string;
  let sessionTranscript: string;
  let agentFile: string;
  let events: MissionEventDraft[];
  let transcripts: SubagentTranscripts;

  beforeEach(() => {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'mission-subagents-'));
    sessionTranscript = path.join(folder, '-work', 'session-1.jsonl');
    agentFile = path.join(folder, '-work', 'session-1', 'subagents', `agent-${agent.id}.jsonl`);
    fs.mkdirSync(path.dirname(agentFile), { recursive: true });
    events = [];
    transcripts = new SubagentTranscripts({
      folder,
      owner: null,
      emit: (event) => events.push(event),
      log: createLogger({ level: 'silent', name: 'subagent-transcripts-test' }),
    });
  });
  afterEach(() => fs.rmSync(folder, { recursive: true, force: true }));

  /** Appends the agent's records `from`..`to` (its prompt, "Reading.", the Read, its result, its last message). */
  const written = (from: number, to: number) =>
    fs.appendFileSync(
      agentFile,
      agentTranscript
        .slice(from, to)
        .map((record) => `${JSON.stringify(record)}\n`)
        .join(''),
    );
  const told = () =>
    events.map((event) => {
      const payload = event.payload as { text?: string; output?: string; subagent?: unknown };
      return [event.type, payload.text ?? payload.output, payload.subagent];
    });

  it("reads the agent's file beside the session's as it grows: its messages and its tool's result, as the agent's", () => {
    transcripts.heard(agent, sessionTranscript);
    transcripts.read();
    expect(events).toEqual([]);
    written(0, 2);
    transcripts.read();
    expect(told()).toEqual([['assistant_message', 'Reading.', agent]]);
    written(2, 5);
    transcripts.read();
    expect(told()).toEqual([
      ['assistant_message', 'Reading.', agent],
      ['tool_output', '1\thello notes\n2\t', agent],
      ['assistant_message', lastMessage, agent],
    ]);
    // Its end says what the transcript gave already: once.
    transcripts.ended(agent, lastMessage);
    expect(told()).toHaveLength(3);
  });

  it('its end before its last message is written: the message is told from the end, and not again once written', () => {
    transcripts.heard(agent, sessionTranscript);
    written(0, 4);
    transcripts.ended(agent, lastMessage);
    expect(told()).toEqual([
      ['assistant_message', 'Reading.', agent],
      ['tool_output', '1\thello notes\n2\t', agent],
      ['assistant_message', lastMessage, agent],
    ]);
    written(4, 5);
    transcripts.read();
    expect(told()).toHaveLength(3);
  });

  it('an agent first heard at its end (no tool use) is read from where its end says', () => {
    written(0, 5);
    transcripts.heard(agent, sessionTranscript, agentFile);
    transcripts.ended(agent, lastMessage);
    expect(told().map(([type, text]) => [type, text])).toEqual([
      ['assistant_message', 'Reading.'],
      ['tool_output', '1\thello notes\n2\t'],
      ['assistant_message', lastMessage],
    ]);
  });

  it("reads no file outside the CLI's home, nor one a hook call's agent id would place elsewhere; the end is still told", () => {
    const outside = path.join(os.tmpdir(), `mission-not-a-transcript-${process.pid}.jsonl`);
    fs.writeFileSync(outside, agentTranscript.map((record) => `${JSON.stringify(record)}\n`).join(''));
    try {
      transcripts.heard(agent, sessionTranscript, outside);
      transcripts.heard({ id: '../../escape', type: 'general-purpose' }, sessionTranscript);
      transcripts.read();
      transcripts.ended(agent, lastMessage);
      expect(told()).toEqual([['assistant_message', lastMessage, agent]]);
    } finally {
      fs.rmSync(outside, { force: true });
    }
  });
});
