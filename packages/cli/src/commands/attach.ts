import type { Session } from '@mission/contracts';
import type { Command, CommandContext, OptionValue } from '../command.ts';
import { DEFAULT_DETACH_KEYS, DETACH_KEYS_HELP, DetachSequence, detachKeysName, parseDetachKeys } from '../detachKeys.ts';
import { ApiError, UnreachableError } from '../errors.ts';
import { ownerPath } from '../eventFeed.ts';
import { apiErrorOf } from '../http.ts';

export const attachCommand: Command = {
  name: 'attach',
  usage: '<session id> [--detach-keys KEYS]',
  summary: `Attach this terminal to a session's live terminal (detach: ${detachKeysName(DEFAULT_DETACH_KEYS)})`,
  details: `Keystrokes go to the session; its output comes here. The session's terminal takes this terminal's size.
Ends by itself when the session ends.
${DETACH_KEYS_HELP}`,
  arguments: ['session id'],
  options: { 'detach-keys': { type: 'string' } },
  json: false,
  async run(context, { args, options }) {
    const id = args['session id']!;
    // Asked first so that a wrong id or token is one clear line rather than a refused upgrade.
    const session = await context.api.request<Session>('GET', ownerPath({ kind: 'session', id }));
    return attachSession(context, session.id, options['detach-keys']);
  },
};

/** Attaches this terminal to a session until the detach keys are typed or it ends; says which on stderr. */
export async function attachSession(context: CommandContext, id: string, detachKeysOption: OptionValue): Promise<number> {
  const spec = typeof detachKeysOption === 'string' ? detachKeysOption : context.clientEnv.detachKeys;
  const keys = parseDetachKeys(spec);
  const outcome = await attachTerminal(context, id, new DetachSequence(keys));
  context.printer.note(outcome.kind === 'detached' ? `[detached from ${id}]` : `[${outcome.reason || `session ${id} ended`}]`);
  return 0;
}

type AttachOutcome = { kind: 'detached' } | { kind: 'ended'; reason: string };

/**
 * Connects stdin/stdout to the session's terminal until the detach keys are typed or the session ends. A
 * refusal (the socket closed with 4000 + HTTP status, e.g. 4409 for an ended session) rejects.
 */
async function attachTerminal({ api }: CommandContext, id: string, sequence: DetachSequence): Promise<AttachOutcome> {
  // Loaded by the one command that needs it: every other command starts without it.
  const { default: WebSocket } = await import('ws');
  const { stdin, stdout } = process;
  const socket = new WebSocket(api.webSocketUrl(`${ownerPath({ kind: 'session', id })}/attach`), { headers: api.authHeaders });
  const sendSize = () => {
    if (stdout.columns && stdout.rows) socket.send(JSON.stringify({ type: 'resize', cols: stdout.columns, rows: stdout.rows }));
  };
  return new Promise<AttachOutcome>((resolve, reject) => {
    let detached = false;
    const onKeys = (keys: string) => {
      const { forward, detach } = sequence.feed(keys);
      if (forward) socket.send(JSON.stringify({ type: 'input', data: forward }));
      if (detach) {
        detached = true;
        socket.close(1000, 'detached');
      }
    };
    const restoreTerminal = () => {
      process.off('SIGWINCH', sendSize);
      stdin.off('data', onKeys);
      if (stdin.isTTY) stdin.setRawMode(false);
      stdin.pause();
    };
    socket.on('open', () => {
      if (stdin.isTTY) stdin.setRawMode(true);
      stdin.setEncoding('utf8');
      stdin.on('data', onKeys);
      stdin.resume();
      process.on('SIGWINCH', sendSize);
      sendSize();
    });
    socket.on('message', (data: Buffer) => stdout.write(data));
    socket.on('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk));
      response.on('end', () => reject(apiErrorOf(response.statusCode ?? 0, body)));
    });
    socket.on('error', (error) => reject(new UnreachableError(api.baseUrl, error)));
    socket.on('close', (code, reason) => {
      restoreTerminal();
      if (detached) resolve({ kind: 'detached' });
      else if (code >= 4000 && code < 5000) reject(new ApiError('attach_refused', reason.toString() || `the attach was refused (${code})`));
      else resolve({ kind: 'ended', reason: reason.toString() });
    });
  });
}
