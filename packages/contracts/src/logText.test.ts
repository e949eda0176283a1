import { describe, expect, it } from 'vitest';
import { logText } from './logText.ts';

describe('logText: a pino record for people', () => {
  const time = Date.UTC(2026, 10, 30, 4, 36, 7, 123);

  it('time, level, name and message, then the other fields; strings with spaces quoted', () => {
    expect(
      logText(
        { level: 30, time, pid: 1, hostname: 'h', name: 'mission', msg: 'storage ready', kind: 'pglite', database: '/tmp/my data' },
        false,
      ),
    ).toBe('04:36:07.123 INFO  mission: storage ready kind=pglite database="/tmp/my data"');
  });

  it("an error's stack goes under the line; the level is colored when asked", () => {
    const text = logText(
      { level: 50, time, msg: 'failed', err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at x (y.ts:1:1)' } },
      true,
    );
    expect(text).toBe('04:36:07.123 \x1b[31mERROR\x1b[39m failed\n    Error: boom\n        at x (y.ts:1:1)');
  });
});
