import { describe, expect, it } from 'vitest';
import type { SessionSnapshot, TranscriptBlock } from '../pty/screen.ts';
import { commandReply, TurnWatch } from './turn.ts';

const prompt = (text: string, output: string[] = []): TranscriptBlock => ({ kind: 'prompt', text, output });
const said = (text: string): TranscriptBlock => ({ kind: 'text', text });

describe('commandReply: what a slash command printed, as the screen shows it below its own prompt', () => {
  it("is the last reply after the command's prompt, not one above it", () => {
    expect(
      commandReply([prompt('hello'), said('Hello back.'), prompt('/review'), said('Reviewing.'), said('Looks fine.')], '/review'),
    ).toBe('Looks fine.');
  });

  it("is the CLI's ⎿ output under the prompt when no reply follows it, else nothing", () => {
    expect(commandReply([prompt('hello'), said('Hello back.'), prompt('/compact', ['Compacted'])], '/compact')).toBe('Compacted');
    expect(commandReply([prompt('hello'), said('Hello back.'), prompt('/clear')], '/clear')).toBe('');
  });

  it('reads the last time the command was typed', () => {
    expect(
      commandReply([prompt('/compact', ['Compacted']), said('Hi.'), prompt('/compact', ['Not enough messages to compact.'])], '/compact'),
    ).toBe('Not enough messages to compact.');
  });

  it('is null when the prompt is not on the screen (the CLI shows some commands without it)', () => {
    expect(commandReply([prompt('hello'), said('Unknown command: /foo. Did you mean /loop?')], '/foo')).toBeNull();
  });
});

describe('TurnWatch: when a turn has ended, from the snapshots read while it runs', () => {
  const snapshot = (state: SessionSnapshot['state'], blocks: TranscriptBlock[], lastResponse: string | null): SessionSnapshot => ({
    state,
    blocks,
    lastResponse,
    dialog: null,
    toolCalls: [],
    status: null,
    title: '',
  });
  const before = [prompt('before the compact'), said('Before the compact.')];

  it('a prompt: idle again after a read saw it working, or showing a new reply', () => {
    const seenWorking = new TurnWatch('Before the compact.');
    expect(seenWorking.ended(snapshot('idle', before, 'Before the compact.'))).toBe(false);
    expect(seenWorking.ended(snapshot('working', before, 'Before the compact.'))).toBe(false);
    expect(seenWorking.ended(snapshot('idle', before, 'Before the compact.'))).toBe(true);
    expect(new TurnWatch('Before the compact.').ended(snapshot('idle', [...before, said('Next.')], 'Next.'))).toBe(true);
  });

  it('/compact over before any read saw it working (the earlier reply still the last): ended once its output shows under it', () => {
    const watch = new TurnWatch('Before the compact.', '/compact', before);
    // Typed, not yet run: its prompt shows with nothing under it.
    expect(watch.ended(snapshot('idle', [...before, prompt('/compact')], 'Before the compact.'))).toBe(false);
    expect(watch.ended(snapshot('idle', [...before, prompt('/compact', ['Compacted'])], 'Before the compact.'))).toBe(true);
  });

  it("a command typed again is not ended by the earlier one's output still on the screen", () => {
    const earlier = [...before, prompt('/compact', ['Compacted'])];
    const watch = new TurnWatch('Before the compact.', '/compact', earlier);
    expect(watch.ended(snapshot('idle', earlier, 'Before the compact.'))).toBe(false);
    expect(watch.ended(snapshot('idle', [...earlier, prompt('/compact')], 'Before the compact.'))).toBe(false);
    expect(
      watch.ended(snapshot('idle', [...earlier, prompt('/compact', ['Not enough messages to compact.'])], 'Before the compact.')),
    ).toBe(true);
  });
});
