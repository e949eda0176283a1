import path from 'node:path';

/** CLI flags a slot may not carry: they would skip or replace Mission's permission checks. */
const FORBIDDEN_FLAGS = [
  '--dangerously-skip-permissions',
  '--allow-dangerously-skip-permissions',
  '--permission-mode',
  '--permission-prompt-tool',
  '--settings',
];

/** Environment a slot may not set: it changes what code runs in the agent's processes, or is Mission's own. */
const FORBIDDEN_ENV = [
  /^LD_/,
  /^DYLD_/,
  /^NODE_OPTIONS$/,
  /^NODE_PATH$/,
  /^BASH_ENV$/,
  /^ENV$/,
  /^PROMPT_COMMAND$/,
  /^PYTHONSTARTUP$/,
  /^PERL5OPT$/,
  /^MISSION_/,
];

/** Folders no slot may run in, wherever the allowed roots are. */
const NEVER_ROOTS = ['/proc', '/sys', '/dev'];

const within = (dir: string, root: string) => {
  const relative = path.relative(root, dir);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
};

/**
 * What is wrong with a slot written over the API, in words for a 400 (empty: nothing): permission-skipping
 * flags, environment that injects code, a warm pool larger than the slot may ever use, or a cwd outside the allowed roots (MISSION_SLOT_ROOTS).
 */
export function slotPolicyProblems(
  slot: { cwd: string; args: readonly string[]; env: Record<string, string>; maxConcurrency?: number; warmPool?: { size: number } },
  roots: readonly string[],
): string[] {
  const problems: string[] = [];
  for (const arg of slot.args) {
    const flag = FORBIDDEN_FLAGS.find((forbidden) => arg === forbidden || arg.startsWith(`${forbidden}=`));
    if (flag) problems.push(`args: ${flag} is not allowed (Mission decides permissions by the slot's role)`);
  }
  for (const name of Object.keys(slot.env)) {
    if (FORBIDDEN_ENV.some((pattern) => pattern.test(name)))
      problems.push(`env: ${name} is not allowed (it changes what code the agent's processes load, or is Mission's own)`);
  }
  if (slot.warmPool && slot.maxConcurrency !== undefined && slot.warmPool.size > slot.maxConcurrency) {
    problems.push(
      `warmPool: size ${slot.warmPool.size} is more than maxConcurrency ${slot.maxConcurrency} (agents that could never all be used)`,
    );
  }
  const cwd = path.resolve(slot.cwd);
  if (NEVER_ROOTS.some((root) => within(cwd, root))) problems.push(`cwd: ${cwd} is a system folder`);
  else if (!roots.some((root) => within(cwd, path.resolve(root))))
    problems.push(`cwd: ${cwd} is not under an allowed root (${roots.join(', ')}; MISSION_SLOT_ROOTS)`);
  return problems;
}
