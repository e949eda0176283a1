import http from 'node:http';
import type { SseMessage } from '../../tests/support/sse.ts';

/**
 * Opens a Server-Sent-Events stream over plain `node:http` and calls `onMessage` with each message until it says
 * stop or the stream ends. A thousand of these in one process cost far less than `fetch` with web streams, so the
 * fan-out bench's client keeps up and the serving side is what is measured.
 */
export function openSse(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; read(onMessage: (message: SseMessage) => boolean): Promise<void> }> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers, agent: false }, (response) => {
      response.pause();
      resolve({
        status: response.statusCode ?? 0,
        read: (onMessage) =>
          new Promise((done, failed) => {
            let buffer = '';
            let stopped = false;
            response.setEncoding('utf8');
            response.on('data', (chunk: string) => {
              buffer += chunk;
              let end: number;
              while (!stopped && (end = buffer.indexOf('\n\n')) >= 0) {
                const message = parse(buffer.slice(0, end));
                buffer = buffer.slice(end + 2);
                if (message && onMessage(message)) {
                  stopped = true;
                  request.destroy();
                  done();
                }
              }
            });
            response.once('end', () => done());
            response.once('error', (error) => (stopped ? done() : failed(error)));
            response.resume();
          }),
      });
    });
    request.once('error', reject);
  });
}

function parse(block: string): SseMessage | undefined {
  const message: SseMessage = { event: 'message', data: '' };
  for (const line of block.split('\n')) {
    if (line.startsWith('id: ')) message.id = line.slice(4);
    else if (line.startsWith('event: ')) message.event = line.slice(7);
    else if (line.startsWith('data: ')) message.data += line.slice(6);
  }
  return message.data || message.id ? message : undefined;
}
