import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseProcStat } from './parentWatch.ts';

describe('parseProcStat', () => {
  it('reads the parent pid and start time', () => {
    const stat = '4242 (node) S 4200 4242 4200 0 -1 4194560 1234 0 0 0 10 2 0 0 20 0 11 0 987654 1100000000 20000 18446744073709551615';
    expect(parseProcStat(stat)).toEqual({ running: true, ppid: 4200, startTime: '987654' });
  });

  it('is not fooled by spaces and parentheses in the command name', () => {
    const stat = '77 (npm exec (x) y) S 12 77 12 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 5555 1 1 1';
    expect(parseProcStat(stat)).toEqual({ running: true, ppid: 12, startTime: '5555' });
  });

  it('a zombie (ended, not reaped yet) does not run', () => {
    const stat = '77 (npm exec mission-mcp) Z 12 77 12 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 5555 0 0 0';
    expect(parseProcStat(stat)).toMatchObject({ running: false, ppid: 12 });
  });

  it.runIf(fs.existsSync('/proc/self/stat'))('matches this process as Linux shows it', () => {
    expect(parseProcStat(fs.readFileSync('/proc/self/stat', 'utf8')).ppid).toBe(process.ppid);
  });
});
