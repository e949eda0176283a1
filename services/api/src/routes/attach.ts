import { randomUUID } from 'node:crypto';
import type { CoreRuntime } from '@mission/core';
import { attachInputSchema, isEndedSessionState, MissionError, type MissionEvent, NotFoundError } from '@mission/contracts';
import { channels } from '@mission/store';
import type { FastifyPluginAsync } from 'fastify';
import type { WebSocket } from 'ws';

/** WebSocket close codes for a session that cannot be attached: 4000 + the HTTP status. */
const closeCode = (error: unknown) => (error instanceof MissionError ? 4000 + error.httpStatus : 1011);

/**
 * `GET /v1/sessions/:id/attach` (WebSocket): the terminal of a session. The server sends the current
 * screen (as escape sequences) and then the raw PTY output, as text frames; the client sends JSON
 * frames `{"type":"input","data":"…"}` (keystrokes) or `{"type":"resize","cols":…,"rows":…}`.
 * The socket closes (1000) when the session ends — unless its slot sets `autoResume` and the end is a loss: then
 * the terminal stays and shows the claude resumed on another worker (its output comes on the same channel) — and with 4403 when the worker refuses what it typed
 * (a `!` that would open bash mode on a slot whose role does not allow any command).
 */
export const attachRoutes: FastifyPluginAsync<{ core: CoreRuntime }> = async (app, { core }) => {
  app.get<{ Params: { id: string } }>(
    '/v1/sessions/:id/attach',
    { websocket: true, config: { access: 'sessions:write' }, schema: { hide: true } },
    async (socket: WebSocket, request) => {
      const id = request.params.id;
      const channel = channels(core.config.queuePrefix);
      const stops: (() => void)[] = [];
      const close = (code: number, reason: string) => {
        for (const stop of stops.splice(0)) stop();
        if (socket.readyState === socket.OPEN) socket.close(code, reason.slice(0, 120));
      };
      socket.on('close', () => close(1000, ''));
      // This socket's name on the input channel: a worker that refuses its keystrokes says so by it.
      const client = randomUUID();
      // Listening from the start: keys typed while the screen is still being fetched reach the session too.
      socket.on('message', (frame) => {
        // Anything but an input or resize frame is dropped: an answer would land in the client's terminal.
        const parsed = attachInputSchema.safeParse(safeJson(String(frame)));
        if (parsed.success) void core.redis.publish(channel.ptyInput(id), JSON.stringify({ ...parsed.data, client }));
        else request.log.debug({ sessionId: id }, 'attach: ignored a frame that is not input or resize');
      });
      try {
        // Keystrokes refused (a `!` opening bash mode for a guarded role): the socket closes with 4403 and the reason.
        stops.push(
          await core.subscriber.subscribe(channel.ptyRefused(id), (message) => {
            const refusal = JSON.parse(message) as { client?: string; message: string };
            if (refusal.client === client) close(4403, refusal.message);
          }),
        );
        const session = await core.sessions.get(id);
        if (isEndedSessionState(session.state)) return close(4409, `session ${id} has ended (${session.state})`);
        const resumesByItself = await core.slots.get(session.slot).then(
          (slot) => slot.autoResume,
          (error: unknown) => {
            // A slot removed since: its sessions are not resumed by themselves.
            if (error instanceof NotFoundError) return false;
            throw error;
          },
        );
        // Output that comes while the screen is fetched is held and sent after it: dropping it could leave
        // the client's terminal without a change the snapshot missed (the CLI redraws from the top).
        let held: string[] | null = [];
        stops.push(await core.subscriber.subscribe(channel.ptyOutput(id), (data) => (held ? held.push(data) : socket.send(data))));
        stops.push(
          await core.subscriber.subscribe(core.events.channel({ kind: 'session', id }), (message) => {
            const event = JSON.parse(message) as MissionEvent;
            if (event.type !== 'state' || !isEndedSessionState(event.payload.state)) return;
            if (resumesByItself && event.payload.state === 'lost' && event.payload.resumable === true)
              socket.send(
                `\r\n[mission: session ${event.payload.state} (${event.payload.reason ?? 'no reason given'}); resuming it on another worker]\r\n`,
              );
            else close(1000, `session ${event.payload.state}`);
          }),
        );
        socket.send(await core.sessions.serializedScreen(id));
        for (const data of held) socket.send(data);
        held = null;
      } catch (error) {
        close(closeCode(error), error instanceof MissionError ? error.message : 'attach failed');
        if (!(error instanceof MissionError)) request.log.error({ err: error }, 'attach failed');
      }
    },
  );
};

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
