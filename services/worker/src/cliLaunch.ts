/**
 * Extra arguments and environment for a `claude` process. Secrets go in `env` and the arguments name
 * them as `${VAR}`: the process table shows every user a process's arguments, not its environment.
 */
export interface CliLaunch {
  args: string[];
  env: Record<string, string>;
}
