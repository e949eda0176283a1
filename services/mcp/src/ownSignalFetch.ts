import { mediaTypeEssence } from '@modelcontextprotocol/sdk/shared/mediaType.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';

/**
 * Wraps `baseFetch` so each request gets an abort signal of its own, linked to the caller's signal
 * until the request fails or its response body is read to its end, fails or is cancelled; the link is
 * removed then. A body that is not an event stream is read to its end before the response is handed on.
 *
 * The SDK's Streamable HTTP client passes one long-lived signal to every request, and Node's fetch
 * removes its abort listener from that signal only when the request is garbage-collected: a
 * long-lived client's signal collects thousands of listeners, and each request pays for the list
 * (nodejs/node#52635, nodejs/undici#5285). Aborting the caller's signal still aborts every request
 * and every response body not finished yet (a server-sent event stream stays open while a call runs).
 */
export function fetchWithOwnSignal(baseFetch: FetchLike = fetch): FetchLike {
  return async (url, init) => {
    const parent = init?.signal;
    if (!parent) return baseFetch(url, init);
    parent.throwIfAborted();
    const own = new AbortController();
    const abort = () => own.abort(parent.reason);
    parent.addEventListener('abort', abort, { once: true });
    const unlink = () => parent.removeEventListener('abort', abort);

    let response: Response;
    try {
      response = await baseFetch(url, { ...init, signal: own.signal });
    } catch (error) {
      unlink();
      throw error;
    }
    if (!response.body) {
      unlink();
      return response;
    }
    if (!isEventStream(response)) return readWhole(response, unlink);
    const reader = response.body.getReader();
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const chunk = await reader.read();
          if (chunk.done) {
            unlink();
            controller.close();
          } else controller.enqueue(chunk.value);
        } catch (error) {
          unlink();
          controller.error(error);
        }
      },
      cancel(reason) {
        unlink();
        return reader.cancel(reason);
      },
    });
    return withUrlOf(response, new Response(body, response));
  };
}

const isEventStream = (response: Response) => mediaTypeEssence(response.headers.get('content-type')) === 'text/event-stream';

/**
 * A body that is not an event stream (a JSON answer, an error's text) is short and ends with its answer: read
 * here, linked until it is read, and handed on whole, instead of relaying it chunk by chunk through a stream of
 * our own.
 */
async function readWhole(response: Response, unlink: () => void): Promise<Response> {
  try {
    return withUrlOf(response, new Response(await response.arrayBuffer(), response));
  } finally {
    unlink();
  }
}

/** The SDK reads `url` to name where an unfollowed redirect pointed. */
function withUrlOf(original: Response, copy: Response): Response {
  Object.defineProperty(copy, 'url', { value: original.url });
  return copy;
}
