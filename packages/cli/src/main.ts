import { runCli } from './run.ts';

/** `mission …` (bin/mission.mjs): see `mission help`. Exits once the output is flushed. */
const code = await runCli(process.argv.slice(2), process.env);
process.stdout.write('', () => process.exit(code));
