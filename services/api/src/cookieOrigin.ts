/** Methods that change something; a cookie-signed request with one of them must come from an origin Mission trusts. */
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface CookieRequest {
  method: string;
  /** A WebSocket upgrade (the attach) is checked whatever its method. */
  websocket: boolean;
  origin: string | undefined;
  referer: string | undefined;
  /** The Host header the request came with: the API's own origin as the browser saw it. */
  host: string | undefined;
  /** MISSION_PUBLIC_URL's origin, when set. */
  publicUrl: string | undefined;
  /** MISSION_ALLOWED_ORIGINS. */
  allowedOrigins: readonly string[];
}

/**
 * Why a request signed in by the console's cookie may not go on (undefined: it may). Reads pass; writes and
 * the WebSocket attach must come from the API's own origin (the host the browser addressed, or
 * MISSION_PUBLIC_URL) or one in MISSION_ALLOWED_ORIGINS, told by Origin — or by Referer when a browser sent
 * no Origin. Neither: refused, since a browser always sends one of them with a write it makes for a page.
 */
export function cookieOriginProblem(request: CookieRequest): string | undefined {
  if (!request.websocket && !WRITE_METHODS.has(request.method.toUpperCase())) return undefined;
  const source = request.origin ?? request.referer;
  const header = request.origin !== undefined ? 'Origin' : 'Referer';
  const what = request.websocket ? 'the attach WebSocket' : `a ${request.method.toUpperCase()}`;
  if (source === undefined) {
    return `${what} signed in by the console's cookie must say where it comes from (Origin or Referer); send the token as "Authorization: Bearer <token>" instead`;
  }
  const origin = originOf(source);
  if (origin !== undefined && trusted(origin, request)) return undefined;
  return `${what} signed in by the console's cookie came from ${origin ?? `'${source}'`} (${header}), which is not this API's origin nor in MISSION_ALLOWED_ORIGINS`;
}

function trusted(origin: string, request: CookieRequest): boolean {
  if (request.allowedOrigins.includes(origin)) return true;
  if (request.publicUrl !== undefined && originOf(request.publicUrl) === origin) return true;
  return request.host !== undefined && new URL(origin).host === hostOf(request.host);
}

function originOf(value: string): string | undefined {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : undefined;
  } catch (error) {
    if (error instanceof TypeError) return undefined;
    throw error;
  }
}

/** A Host header as URL.host writes it (default ports dropped, lower case). */
function hostOf(host: string): string | undefined {
  try {
    return new URL(`http://${host}`).host;
  } catch (error) {
    if (error instanceof TypeError) return undefined;
    throw error;
  }
}
