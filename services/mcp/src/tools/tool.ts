import type { CoreRuntime } from '@mission/core';
import type { Caller, Scope } from '@mission/contracts';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { CallToolResult, ClientCapabilities, ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

export type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** What a tool body gets: the core, the authorized caller, the request (its signal, progress token) and what the client can do. */
export interface ToolContext {
  core: CoreRuntime;
  caller: Caller;
  extra: Extra;
  /** The capabilities the client declared at `initialize` (elicitation: it puts forms to its person). */
  clientCapabilities: ClientCapabilities | undefined;
}

/** One MCP tool: its name, the scope it needs, what the model reads of it, its input, and its body. */
export interface ToolDef<S extends z.ZodType = z.ZodType> {
  name: string;
  scope: Scope;
  description: string;
  inputSchema: S;
  /**
   * Answers at once, waiting on no agent, worker or person (a read of the store, a submit): a call of it that asked
   * for no progress is answered as one JSON response (`jsonAnswerable.ts`). The others are answered as an event
   * stream, whose POST is accepted at once: `mission-mcp`, which relays in order, is not held by their wait.
   */
  immediate?: true;
  run(args: z.infer<S>, context: ToolContext): Promise<CallToolResult>;
}

/** Declares a tool, its arguments typed by its schema (a table holds tools of every schema). */
export const tool = <S extends z.ZodType>(definition: ToolDef<S>): ToolDef => definition as unknown as ToolDef;

/** A tool's result: the value as JSON text (what an LLM reads best; compact, as indentation is tokens the agent pays for), or the text itself. */
export const ok = (value: unknown): CallToolResult => ({
  content: [{ type: 'text', text: typeof value === 'string' ? value : JSON.stringify(value) }],
});

/** A command on a session the caller may command (an agent: one it started); its answer as the result. */
export async function onOwn({ core, caller }: ToolContext, session: string, command: () => Promise<unknown>): Promise<CallToolResult> {
  await core.access.commandSession(caller, session);
  return ok(await command());
}

export const sessionId = z.string().min(1).describe('The session id (ses_…) from mission_pty_spawn or mission_sessions.');
export const turnTimeout = z
  .number()
  .int()
  .min(1_000)
  .max(3_600_000)
  .optional()
  .describe('How long to wait for Claude to finish, in ms (default 5 minutes).');
