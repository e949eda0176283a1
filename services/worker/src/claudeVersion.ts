import { execFile } from 'node:child_process';
import { claudeVersionIn, isTestedClaudeVersion, TESTED_CLAUDE_VERSIONS } from '@mission/contracts';
import type { Logger } from '@mission/store';

const VERSION_TIMEOUT_MS = 30_000;

/**
 * Logs the claude this worker runs (`claude --version`, with the environment its agents get) and whether Mission is
 * tested with it: a warning for another version (interactive sessions read its screen, which it may draw
 * differently) or for a claude that does not start. Resolves when logged, or once `stop` aborts (the worker closes:
 * a claude that hangs is ended, not left behind); never rejects.
 */
export function logClaudeVersion(bin: string, env: Record<string, string>, logger: Logger, stop?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    // Once, as the worker starts (before it takes work): the fork's pause of its loop is paid once, not per agent.
    const child = execFile(bin, ['--version'], { env, timeout: VERSION_TIMEOUT_MS, signal: stop }, (error, stdout) => {
      if (stop?.aborted) return resolve();
      const version = error ? null : claudeVersionIn(stdout);
      if (error) logger.warn({ claudeBin: bin, err: error }, `'${bin} --version' failed: no agent can start until claude runs`);
      else if (isTestedClaudeVersion(version)) logger.info({ claudeBin: bin, claudeVersion: version }, 'claude');
      else
        logger.warn(
          { claudeBin: bin, claudeVersion: version ?? stdout.trim(), testedVersions: TESTED_CLAUDE_VERSIONS },
          `claude ${version ?? `'${stdout.trim()}'`} is not a version Mission is tested with (${TESTED_CLAUDE_VERSIONS.join(', ')}): interactive sessions read its screen, which it may draw differently`,
        );
      resolve();
    });
    // Nothing to read: a program that waits for its input ends now.
    child.stdin?.end();
  });
}
