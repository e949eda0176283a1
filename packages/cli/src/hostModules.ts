// What `mission up`, `token` and `doctor` need of Mission itself (the database, Redis, the whole system). Loaded
// only by those commands through ./host.ts, so the other commands start without it.
export { TokenService } from '@mission/core';
export { loadConfig, openDatabase, Redis } from '@mission/store';
export { claudeHomePaths, claudeHomeProblems, findClaudeAuth, readClaudeHome } from '@mission/worker';

/** Runs the whole system in this process (src/up.ts runs on import and exits on its own when stopped). */
export async function runUp(): Promise<void> {
  await import('../../../src/up.ts');
}
