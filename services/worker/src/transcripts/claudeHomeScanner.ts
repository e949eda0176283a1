import fs from 'node:fs/promises';
import path from 'node:path';
import { type CcSession, type CcTodo, newestActivityFirst } from '@mission/shared';
import { parseTaskFile } from './taskFile.ts';
import { parseTranscript } from './transcript.ts';

/** A turn waiting for an answer longer than this is taken as abandoned (the CLI died mid-turn), not in progress. */
export const IN_PROGRESS_WINDOW_MS = 30 * 60_000;

/**
 * The Claude Code sessions recorded under the given HOMEs (`<home>/.claude/projects/<project>/<id>.jsonl`)
 * with their task lists (`<home>/.claude/tasks/<id>/`), newest activity first. Missing folders and
 * unreadable files are skipped: a HOME that never ran claude has no sessions.
 */
export async function scanClaudeHomes(homes: string[], workerId: string, now = Date.now()): Promise<CcSession[]> {
  const found = await Promise.all(unique(homes).map((home) => scanHome(home, workerId, now)));
  return found.flat().sort(newestActivityFirst);
}

async function scanHome(home: string, workerId: string, now: number): Promise<CcSession[]> {
  const projectsDir = path.join(home, '.claude', 'projects');
  const sessions: CcSession[] = [];
  for (const projectDir of await listDir(projectsDir)) {
    for (const file of await listDir(path.join(projectsDir, projectDir))) {
      if (!file.endsWith('.jsonl')) continue;
      const session = await readSession(home, projectDir, file, workerId, now);
      if (session) sessions.push(session);
    }
  }
  return sessions;
}

async function readSession(home: string, projectDir: string, file: string, workerId: string, now: number): Promise<CcSession | undefined> {
  const transcriptPath = path.join(home, '.claude', 'projects', projectDir, file);
  const [text, stat] = await Promise.all([fs.readFile(transcriptPath, 'utf8').catch(() => undefined), fs.stat(transcriptPath).catch(() => undefined)]);
  if (text === undefined || !stat) return undefined;
  const facts = parseTranscript(text);
  const id = facts.sessionId ?? path.basename(file, '.jsonl');
  const lastActivity = facts.lastActivity ?? stat.mtime.toISOString();
  return {
    id,
    workerId,
    cwd: facts.cwd,
    projectDir,
    gitBranch: facts.gitBranch,
    firstPrompt: facts.firstPrompt,
    summary: facts.summary,
    model: facts.model,
    userMessages: facts.userMessages,
    assistantMessages: facts.assistantMessages,
    toolUses: facts.toolUses,
    lastActivity,
    inProgress: facts.awaitingAnswer && now - Date.parse(lastActivity) < IN_PROGRESS_WINDOW_MS,
    todos: await readTodos(path.join(home, '.claude', 'tasks', id)),
  };
}

async function readTodos(dir: string): Promise<CcTodo[]> {
  const files = (await listDir(dir)).filter((file) => file.endsWith('.json'));
  const todos = await Promise.all(files.map(async (file) => parseTaskFile(await fs.readFile(path.join(dir, file), 'utf8').catch(() => ''))));
  return todos.filter((todo) => todo !== undefined).sort((a, b) => Number(a.id) - Number(b.id) || a.id.localeCompare(b.id));
}

async function listDir(dir: string): Promise<string[]> {
  return fs.readdir(dir).catch(() => []);
}

function unique(homes: string[]): string[] {
  return [...new Set(homes.map((home) => path.resolve(home)))];
}
