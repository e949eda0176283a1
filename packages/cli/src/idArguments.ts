/**
 * The ids a command's arguments take, by the argument's name (`<session id>`, `<task id>`, …): an id of another kind
 * is refused before the API is asked, naming what it is and the command for it (the API would answer "not found").
 */
const PREFIXES_TAKEN: Record<string, readonly string[]> = {
  'session id': ['ses'],
  'task id': ['task'],
  'task or session id': ['task', 'ses'],
  'approval id': ['appr'],
};

/** What each kind of id is, and the command that acts on it where another kind's command was used by mistake. */
const KINDS: Record<string, { what: string; hint: string }> = {
  ses: { what: "a session's", hint: 'a session ends with `mission kill`' },
  task: { what: "a task's", hint: 'a task stops with `mission cancel`' },
  appr: { what: "an approval's", hint: 'an approval is decided with `mission approve`' },
};

/** Why `value` is not an id `argument` takes, or undefined when it is one (or the argument takes no id). */
export function idArgumentProblem(command: string, argument: string, value: string): string | undefined {
  const taken = PREFIXES_TAKEN[argument];
  const prefix = value.slice(0, value.indexOf('_'));
  if (!taken || taken.includes(prefix)) return undefined;
  const expected = taken.map((p) => `${KINDS[p]!.what} (${p}_…)`).join(' or ');
  const given = KINDS[prefix];
  return given
    ? `'${value}' is ${given.what} id; ${command} takes ${expected}: ${given.hint}`
    : `'${value}' is not an id Mission gives; ${command} takes ${expected}`;
}
