import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseScreen } from './screenParser.ts';
import { failedRequestReport } from './failedRequest.ts';
import { SnapshotDiffer } from './snapshotDiff.ts';

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

describe("the screen's events of a failed request", () => {
  it("tell the CLI's report as a turn_failed error, not as a message of Claude's", () => {
    const events = new SnapshotDiffer().next(parseScreen({ lines: failedTurnScreen, title: '' }));
    expect(events.filter((event) => event.type === 'assistant_message' || event.type === 'error')).toEqual([
      {
        type: 'error',
        payload: {
          code: 'turn_failed',
          message: expect.stringMatching(/^Claude Code's request to the model failed: API Error: 500 Internal server boom\./),
        },
      },
    ]);
    expect(events.find((event) => event.type === 'user_message')?.payload).toEqual({ text: 'fail on the API' });
  });
});
