import { z } from 'zod';
import type { Scope } from '../schemas/tokens.ts';

/**
 * A permission rule in Claude Code's syntax: `Tool` (every use of the tool) or `Tool(specifier)`:
 * `Bash(npm test:*)` (a command prefix), `Bash(rm -rf*)` (a command glob), `Edit(src/**)` (a path
 * glob, gitignore style), `WebFetch(domain:example.com)`, `mcp__server__tool` / `mcp__server`.
 */
export interface Rule {
  /** The rule as written. */
  text: string;
  tool: string;
  specifier: string | null;
}

const RULE = /^([A-Za-z][A-Za-z0-9_-]*)(?:\((.*)\))?$/s;
const MAX_RULE_CHARS = 1_000;

/** Parses one rule; returns a readable problem instead when it is not valid. */
export function parseRule(text: string): Rule | { problem: string } {
  if (text.length > MAX_RULE_CHARS) return { problem: `a rule is at most ${MAX_RULE_CHARS} characters` };
  const match = RULE.exec(text.trim());
  if (!match) return { problem: `'${text}' is not a rule: write Tool or Tool(specifier), e.g. Bash(npm test:*)` };
  const [, tool, specifier] = match as unknown as [string, string, string | undefined];
  if (specifier !== undefined && specifier.trim() === '')
    return { problem: `'${text}': the specifier in ( ) is empty; write ${tool} for every use` };
  if (tool.startsWith('mcp__') && specifier !== undefined)
    return { problem: `'${text}': MCP rules take no specifier (use mcp__server or mcp__server__tool)` };
  if (specifier?.startsWith('domain:') && !/^domain:[A-Za-z0-9*.-]+$/.test(specifier))
    return { problem: `'${text}': domain: takes a host name` };
  return { text: text.trim(), tool, specifier: specifier ?? null };
}

const ruleText = z.string().superRefine((text, ctx) => {
  const parsed = parseRule(text);
  if ('problem' in parsed) ctx.addIssue({ code: 'custom', message: parsed.problem });
});
const ruleList = z.array(ruleText).max(500).default([]);

/**
 * The Mission MCP tools an agent of a role may call through the MCP server its session is given, and
 * the scope each needs (a child token gets just these). The other tools are for operators only.
 */
export const AGENT_TOOL_SCOPES = {
  mission_pty_spawn: 'sessions:write',
  mission_pty_send: 'sessions:write',
  mission_pty_kill: 'sessions:write',
  mission_pty_interrupt: 'sessions:write',
  mission_pty_screen: 'sessions:read',
  mission_sessions: 'sessions:read',
  mission_status: 'tasks:read',
  /** What its own children did (their events), under the same rule as mission_status. */
  mission_logs: 'tasks:read',
  mission_run: 'sessions:write',
  mission_submit: 'tasks:write',
  mission_ask: 'tasks:write',
  /** To the sessions it started, or to the one that started it. */
  mission_message: 'sessions:write',
  /** The gate: ask for an action of a class (an approval or, for `auto` classes, a receipt), check it, log one done. */
  mission_request_approval: 'tasks:read',
  mission_check_approval: 'tasks:read',
  mission_log_action: 'tasks:read',
  mission_get_receipt: 'tasks:read',
} as const satisfies Record<string, Scope>;

/** The gate's tools, which an agent of a role with `actionClasses` gets (with mission_status) whatever its `missionTools`. */
export const GATE_TOOLS = ['mission_request_approval', 'mission_check_approval', 'mission_log_action', 'mission_get_receipt'] as const;

/** The Mission tools an agent of a role is given: its `missionTools`, and the gate's when it has action classes. */
export function agentToolsOf(rules: Pick<RoleRules, 'missionTools' | 'actionClasses'>): string[] {
  const gate = Object.keys(rules.actionClasses).length > 0 ? [...GATE_TOOLS, 'mission_status'] : [];
  return [...new Set([...rules.missionTools, ...gate])];
}
export type AgentTool = keyof typeof AGENT_TOOL_SCOPES;
const agentToolNames = Object.keys(AGENT_TOOL_SCOPES) as [AgentTool, ...AgentTool[]];
const missionToolList = z
  .array(
    z.string().superRefine((name, ctx) => {
      if (!(name in AGENT_TOOL_SCOPES))
        ctx.addIssue({ code: 'custom', message: `'${name}' is not a Mission tool a role can give; one of ${agentToolNames.join(', ')}` });
    }),
  )
  .max(agentToolNames.length * 2)
  .default([]);

/**
 * Claude Code's own sandbox for a role's Bash commands (bubblewrap on Linux): they may write only under
 * the working folder (and `writable`), and reach only the `network` hosts. Null: no sandbox.
 */
export const roleSandboxSchema = z.strictObject({
  /** Hosts sandboxed commands may reach (`example.com`, `*.example.com`); none by default. */
  network: z
    .array(z.string().regex(/^(\*\.)?[A-Za-z0-9.-]+$/, 'a host name such as example.com or *.example.com'))
    .max(200)
    .default([]),
  /** Folders besides the working folder that commands may write (absolute, or ~/…). */
  writable: z.array(z.string().min(1).max(1_000)).max(100).default([]),
});
export type RoleSandbox = z.infer<typeof roleSandboxSchema>;

/** A slot name, or a glob of them with `*` (any run of characters). */
const slotPatternList = z
  .array(
    z
      .string()
      .regex(/^[a-z0-9*][a-z0-9_*-]*$/, 'a slot name or a glob with * (e.g. worker-*)')
      .max(64),
  )
  .max(200);

/** Agent-raised actions (mission_request_approval): `gated` asks a person every time, `auto` records a receipt and goes on. */
export const actionModes = ['gated', 'auto'] as const;
export type ActionMode = (typeof actionModes)[number];
export const actionClassSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9_.-]*$/, 'lowercase letters, digits, "_", "." and "-", e.g. deploy or email.send');
const actionClassMap = z.record(actionClassSchema, z.enum(actionModes)).default({});

/** A role: what its agents may do unasked (`allow`), only with a person's yes (`confirm`), never (`deny`). */
export const roleRulesSchema = z.strictObject({
  description: z.string().max(2_000).default(''),
  allow: ruleList,
  confirm: ruleList,
  deny: ruleList,
  /** Mission tools its agents get (an MCP server in their CLI, with a token for just these); none by default. */
  missionTools: missionToolList,
  /** Classes of action its agents raise through the gate, each `gated` or `auto`; a class not listed is gated. */
  actionClasses: actionClassMap,
  /** Claude Code's sandbox for its agents' commands; off (null) by default. */
  sandbox: roleSandboxSchema.nullable().default(null),
  /**
   * The slots its agents may submit to, ask, spawn on, coordinate or message into: slot names or globs
   * (`*` any run of characters, e.g. `worker-*`). Null (not given): any slot, as before this field existed.
   */
  slots: slotPatternList.nullable().default(null),
  /**
   * Dollars an agent tree rooted at one of its agents (it and every session or task it started, theirs, …) may
   * spend; once spent, the tree may start no more children (what runs goes on). With the root slot's
   * `treeBudgetUsd` too, the smaller one holds. Null (not given): no budget of the role's.
   */
  treeBudgetUsd: z.number().positive().max(1_000_000).nullable().default(null),
});

export type RoleRules = z.infer<typeof roleRulesSchema>;

export const roleNameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'lowercase letters, digits, "_" and "-", starting with a letter or digit');

/** `permissions.yaml`: a map from role name to its rules. */
export const permissionsFileSchema = z.strictObject({
  roles: z.record(roleNameSchema, roleRulesSchema),
});

export const roleSchema = roleRulesSchema.extend({
  name: roleNameSchema,
  version: z.number().int(),
  changedBy: z.string(),
  changedAt: z.string(),
  /** A draft has never been put in force; `active` is the version in force now. */
  draft: z.boolean(),
  active: z.boolean(),
  activatedAt: z.string().nullable(),
  activatedBy: z.string().nullable(),
});

export type Role = z.infer<typeof roleSchema>;

/** The rules a role has when nobody has written any: nothing matches, so every request needs a person. */
export const EMPTY_ROLE_RULES: RoleRules = {
  description: '',
  allow: [],
  confirm: [],
  deny: [],
  missionTools: [],
  actionClasses: {},
  sandbox: null,
  slots: null,
  treeBudgetUsd: null,
};
