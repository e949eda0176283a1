import { describe, expect, it } from 'vitest';
import type { TranscriptBlock } from '../pty/screen.ts';
import { commandReply } from './turn.ts';

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
