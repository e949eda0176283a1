import fs from 'node:fs/promises';
import path from 'node:path';
import { type CcSession, type CcTodo, newestActivityFirst } from '@mission/contracts';
import type { Logger } from '@mission/store';
import { guardedOwner, readFileOf } from '../ownedFiles.ts';
import { isMissingFile } from './missingFile.ts';
import { parseTaskFile } from './taskFile.ts';
import { parseTranscript, type TranscriptFacts } from './transcript.ts';

/** A turn waiting for an answer longer than this is taken as abandoned (the CLI died mid-turn), not in progress. */
export const IN_PROGRESS_WINDOW_MS = 30 * 60_000;

/**
 * The Claude Code sessions recorded under HOMEs (`<home>/.claude/projects/<project>/<id>.jsonl`) with their
 * task lists (`<home>/.claude/tasks/<id>/`), newest activity first. Missing folders and files are skipped (a HOME
 * that never ran claude has no sessions); one that cannot be read is skipped and logged, so that it does not hide
 * the others. A transcript is parsed again only when its
 * size or mtime changed since the last scan (they only grow while the CLI writes them).
 */
export class ClaudeHomeScanner {
  private readonly parsed = new Map<string, { size: number; mtimeMs: number; facts: TranscriptFacts }>();

  constructor(private readonly logger: Logger) {}

  async scan(homes: string[], workerId: string, now = Date.now()): Promise<CcSession[]> {
    const seen = new Set<string>();
    const found = await Promise.all(unique(homes).map((home) => this.scanHome(home, workerId, now, seen)));
    for (const file of this.parsed.keys()) if (!seen.has(file)) this.parsed.delete(file);
    return found.flat().sort(newestActivityFirst);
  }

  private async scanHome(home: string, workerId: string, now: number, seen: Set<string>): Promise<CcSession[]> {
    const projectsDir = path.join(home, '.claude', 'projects');
    const sessions: CcSession[] = [];
    // An agent's home, scanned by a worker running as root: only the agent's own files are read (no link out of it).
    const owner = await this.orSkip(guardedOwner(home), home, undefined);
    if (owner === undefined) return sessions;
    for (const projectDir of await this.listDir(projectsDir)) {
      for (const file of await this.listDir(path.join(projectsDir, projectDir))) {
        if (!file.endsWith('.jsonl')) continue;
        const transcriptPath = path.join(projectsDir, projectDir, file);
        seen.add(transcriptPath);
        const session = await this.readSession(home, owner, projectDir, transcriptPath, workerId, now);
        if (session) sessions.push(session);
      }
    }
    return sessions;
  }

  private async readSession(
    home: string,
    owner: number | null,
    projectDir: string,
    transcriptPath: string,
    workerId: string,
    now: number,
  ): Promise<CcSession | undefined> {
    const stat = await this.orSkip(fs.stat(transcriptPath), transcriptPath, undefined);
    if (!stat) return undefined;
    const facts = await this.factsOf(transcriptPath, owner, stat);
    if (!facts) return undefined;
    const id = facts.sessionId ?? path.basename(transcriptPath, '.jsonl');
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
      todos: await this.readTodos(path.join(home, '.claude', 'tasks', id), owner),
    };
  }

  private async factsOf(
    transcriptPath: string,
    owner: number | null,
    stat: { size: number; mtimeMs: number },
  ): Promise<TranscriptFacts | undefined> {
    const known = this.parsed.get(transcriptPath);
    if (known && known.size === stat.size && known.mtimeMs === stat.mtimeMs) return known.facts;
    const text = await this.orSkip(readFileOf(transcriptPath, owner), transcriptPath, undefined);
    if (text === undefined) return undefined;
    const facts = parseTranscript(text);
    this.parsed.set(transcriptPath, { size: stat.size, mtimeMs: stat.mtimeMs, facts });
    return facts;
  }

  private async readTodos(dir: string, owner: number | null): Promise<CcTodo[]> {
    const files = (await this.listDir(dir)).filter((file) => file.endsWith('.json'));
    const todos = await Promise.all(
      files.map(async (file) => {
        const taskFile = path.join(dir, file);
        return parseTaskFile(await this.orSkip(readFileOf(taskFile, owner), taskFile, ''));
      }),
    );
    return todos.filter((todo) => todo !== undefined).sort((a, b) => Number(a.id) - Number(b.id) || a.id.localeCompare(b.id));
  }

  private listDir(dir: string): Promise<string[]> {
    return this.orSkip(fs.readdir(dir), dir, []);
  }

  /** What `reading` gives, or `skipped` when `file` is not there or cannot be read (then logged). */
  private async orSkip<T, S>(reading: Promise<T>, file: string, skipped: S): Promise<T | S> {
    try {
      return await reading;
    } catch (error) {
      if (!isMissingFile(error)) this.logger.warn({ err: error, path: file }, "could not read Claude Code's records: skipped");
      return skipped;
    }
  }
}

function unique(homes: string[]): string[] {
  return [...new Set(homes.map((home) => path.resolve(home)))];
}
