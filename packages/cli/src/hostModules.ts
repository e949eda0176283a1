// What `mission up`, `token` and `doctor` need of Mission itself (the database, Redis, the whole system). Loaded
// only by those commands through ./host.ts, so the other commands start without it; build.mjs leaves this module,
// and all it imports, out of the bundle. Nothing else in the CLI may import these modules (./startAll.ts included).
export { TokenService } from '@mission/core';
export { loadConfig, openDatabase, Redis } from '@mission/store';
export { claudeHomePaths, claudeHomeProblems, findClaudeAuth, readClaudeHome } from '@mission/worker';
export { runUp } from './startAll.ts';
