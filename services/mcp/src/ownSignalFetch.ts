import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';

/**
 * Wraps `baseFetch` so each request gets an abort signal of its own, linked to the caller's signal
 * until the request fails or its response body is read to its end, fails or is cancelled; the link is
 * removed then.
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
    const linked = new Response(body, response);
    // The SDK reads `url` to name where an unfollowed redirect pointed.
    Object.defineProperty(linked, 'url', { value: response.url });
    return linked;
  };
}
