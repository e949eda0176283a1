import type { Command } from '../command.ts';
import { loadHost } from '../host.ts';

export const upCommand: Command = {
  name: 'up',
  usage: '',
  summary: 'Run the whole system in this process (API + worker), as `npm start` does',
  details: `Listens on http://HOST:PORT (127.0.0.1:7070); auth is off unless MISSION_AUTH=on. Uses REDIS_URL, or a
private redis-server from PATH; DATABASE_URL, or embedded PGlite in MISSION_DATA_DIR. Stops on Ctrl+C.
Its log is on stdout: lines for people on a terminal, JSON lines (pino) through a pipe.`,
  arguments: [],
  json: false,
  async run({ processEnv }) {
    // It stays up and exits on its own when it is stopped.
    await (await loadHost('up')).runUp(processEnv);
    return new Promise<number>(() => {
      // never settles: the process exits when it is stopped
    });
  },
};
