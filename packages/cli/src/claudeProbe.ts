import { execFile } from 'node:child_process';
import os from 'node:os';
import { claudeFailureIn } from '@mission/contracts/claudeFailures';

/** What `mission doctor --probe` sends: a prompt whose answer is one token. */
export const PROBE_PROMPT = 'Reply with the single word OK.';

export interface ProbeResult {
  ok: boolean;
  detail: string;
  hint?: string;
}

/**
 * One short prompt through the real claude CLI with this environment (as a worker runs it, in headless mode): does it
 * authenticate, reach the API and answer? A known failure comes back in Mission's words, with its fix.
 */
export function probeClaude(claudeBin: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    // No retries: a refused key or an unreachable API is the answer, not something to wait out for minutes.
    const probeEnv = { ...env, CLAUDE_CODE_MAX_RETRIES: '0' };
    execFile(
      claudeBin,
      ['-p', PROBE_PROMPT, '--output-format', 'json', '--max-turns', '1'],
      { cwd: os.tmpdir(), env: probeEnv, timeout: timeoutMs },
      (error, stdout, stderr) => {
        let answer: { is_error?: boolean; result?: string; total_cost_usd?: number } | undefined;
        try {
          answer = JSON.parse(stdout) as typeof answer;
        } catch {
          // no JSON result: told below from the error and stderr
        }
        if (answer && !answer.is_error) {
          return resolve({
            ok: true,
            detail: `claude answered '${(answer.result ?? '').trim().slice(0, 40)}'${answer.total_cost_usd === undefined ? '' : ` ($${answer.total_cost_usd.toFixed(4)})`}`,
          });
        }
        const said = answer?.result ?? (stderr.trim() || error?.message || 'no answer');
        const failure = claudeFailureIn(said);
        resolve(
          failure
            ? { ok: false, detail: `${failure.code}: ${failure.message} (claude said: ${said.trim()})`, hint: failure.hint }
            : { ok: false, detail: `claude did not answer: ${said.trim()}`, hint: `try it by hand: ${claudeBin} -p "${PROBE_PROMPT}"` },
        );
      },
    );
  });
}
