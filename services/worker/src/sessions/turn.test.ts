import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseScreen } from '../pty/screenParser.ts';
import { failedRequestReport } from './turn.ts';

/** The screen of Claude Code 2.1.332 after a turn's request failed (the API's 500, no retries), as recorded. */
const failedTurnScreen = (
  JSON.parse(fs.readFileSync(new URL('../../../../tests/fixtures/claude/2.1.332/hooks/stop-failure.json', import.meta.url), 'utf8')) as {
    screen: string[];
  }
).screen;

describe('failedRequestReport', () => {
  it("is the CLI's report of a failed request, read off the recorded screen where Claude's reply goes", () => {
    const report = failedRequestReport(parseScreen({ lines: failedTurnScreen, title: '' }).lastResponse);
    expect(report).toMatch(/^API Error: 500 Internal server boom\. This is a server-side issue/);
  });

  it("is nothing for Claude's own words, even about an API error, or for no reply", () => {
    expect(failedRequestReport('The API Error you saw came from a 500.')).toBeNull();
    expect(failedRequestReport('Done.')).toBeNull();
    expect(failedRequestReport(null)).toBeNull();
  });
});
