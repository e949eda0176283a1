import { describe, expect, it } from 'vitest';
import type { HeadlessExit } from './headless/headlessRunner.ts';
import type { HeadlessResult } from './headless/streamJson.ts';
import { taskOutcome } from './taskOutcome.ts';

const exited: HeadlessExit = { exitCode: 1, signal: null, stoppedBy: null, stderrTail: '', spawnError: null };
const result = (text: string): HeadlessResult => ({
  text,
  isError: true,
  subtype: 'success',
  costUsd: 0,
  usage: null,
  modelUsage: null,
  durationMs: 1,
  numTurns: 1,
  claudeSessionId: 'c',
  limited: false,
});

describe('taskOutcome', () => {
  it("a failed result: claude's known failures in Mission's words, other errors as claude said them", () => {
    expect(taskOutcome(exited, result('Invalid API key · Fix external API key'), 1_000).error).toMatch(
      /^claude_key_refused: .*Fix: check ANTHROPIC_API_KEY/,
    );
    expect(taskOutcome(exited, result('API Error: 500 overloaded'), 1_000)).toEqual({
      status: 'failed',
      error: 'API Error: 500 overloaded',
    });
  });

  it('no result: what claude left on stderr is read the same way', () => {
    const outcome = taskOutcome({ ...exited, stderrTail: 'Error: getaddrinfo ENOTFOUND api.anthropic.com' }, undefined, 1_000);
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toMatch(
      /^claude_api_unreachable: .*\(claude said: claude exited with code 1 without a result: Error: getaddrinfo ENOTFOUND api\.anthropic\.com\)$/,
    );
  });
});
