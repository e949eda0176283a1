import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { html } from 'htm/preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';

interface Attachment {
  terminal: Terminal;
  fit: FitAddon;
  socket: WebSocket;
}

/**
 * A session's terminal, attached over the WebSocket `GET /v1/sessions/:id/attach` (the browser sends
 * the login cookie with it): the server sends the screen, then every byte the CLI writes. Read-only
 * until "Take control", which sends keystrokes and fits the session's terminal to this one.
 */
export function LiveTerminal({ sessionId, cols, rows }: { sessionId: string; cols: number; rows: number }) {
  const container = useRef<HTMLDivElement>(null);
  const attachment = useRef<Attachment | null>(null);
  const [connection, setConnection] = useState('connecting…');
  const [inControl, setInControl] = useState(false);

  useEffect(() => {
    const terminal = new Terminal({ cols, rows, disableStdin: true, fontSize: 13, scrollback: 2_000, cursorBlink: false });
    const fit = new FitAddon();
    terminal.loadAddon(fit);
    terminal.open(container.current!);
    const socket = new WebSocket(attachUrl(sessionId));
    socket.onopen = () => setConnection('live');
    socket.onmessage = (message) => terminal.write(String(message.data));
    socket.onclose = (event) => {
      setConnection(closeReason(event));
      setInControl(false);
    };
    attachment.current = { terminal, fit, socket };
    return () => {
      attachment.current = null;
      socket.close();
      terminal.dispose();
    };
  }, [sessionId]);

  // A layout effect runs before the browser handles the next event: keys typed right after the click
  // reach the session rather than the button (an effect would run only after the next paint).
  useLayoutEffect(() => {
    const current = attachment.current;
    if (!inControl || !current) return;
    const { terminal, fit, socket } = current;
    const send = (frame: object) => socket.readyState === WebSocket.OPEN && socket.send(JSON.stringify(frame));
    const resize = () => {
      fit.fit();
      send({ type: 'resize', cols: terminal.cols, rows: terminal.rows });
    };
    terminal.options.disableStdin = false;
    const typing = terminal.onData((data) => send({ type: 'input', data }));
    resize();
    window.addEventListener('resize', resize);
    terminal.focus();
    return () => {
      terminal.options.disableStdin = true;
      typing.dispose();
      window.removeEventListener('resize', resize);
    };
  }, [inControl]);

  const live = connection === 'live';
  return html`<section class="terminal-panel">
    <div class="toolbar">
      <span class=${live ? 'live' : 'muted'}>${live ? '● live' : connection}</span>
      <button type="button" disabled=${!live} onClick=${() => setInControl(!inControl)}>${inControl ? 'Release control' : 'Take control'}</button>
      <span class="muted">${inControl ? 'Your keystrokes go to the session.' : 'Read-only.'}</span>
    </div>
    <div class="terminal" ref=${container} data-testid="terminal"></div>
  </section>`;
}

function attachUrl(sessionId: string): string {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}/v1/sessions/${encodeURIComponent(sessionId)}/attach`;
}

/** The attach socket closes with 1000 when the session ends, 4000 + an HTTP status when it cannot attach. */
function closeReason(event: CloseEvent): string {
  if (event.code === 1000) return `closed: ${event.reason || 'the session ended'}`;
  if (event.code >= 4000 && event.code < 5000) return `refused (${event.code - 4000}): ${event.reason || 'cannot attach'}`;
  return `disconnected (${event.code}); reload to attach again`;
}
