/** An answer from the API that is not a success, with the `{error:{code,message}}` it sent. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Any failure as an ApiError (a bug in the console shows as a message too). */
export function asApiError(caught: unknown): ApiError {
  return caught instanceof ApiError ? caught : new ApiError(0, 'client', (caught as Error).message);
}

const unauthorizedListeners = new Set<() => void>();

/** Called whenever the API answers 401: the console shows the login form. */
export function onUnauthorized(listener: () => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

/** Calls the API on this origin; the browser sends the `mission_token` cookie itself. */
async function request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiError(0, 'network', `the API did not answer (${(error as Error).message})`);
  }
  const data = res.headers.get('content-type')?.includes('json') ? ((await res.json()) as unknown) : undefined;
  if (!res.ok) {
    if (res.status === 401) for (const listener of unauthorizedListeners) listener();
    const error = (data as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiError(res.status, error?.code ?? `http_${res.status}`, error?.message ?? `${method} ${path} answered HTTP ${res.status}`);
  }
  return data as T;
}

export const api = {
  get: <T>(path: string) => request<T>('GET', path),
  post: <T>(path: string, body: unknown = {}) => request<T>('POST', path, body),
};

/** A query string from the defined values: `{status: 'failed', slot: undefined}` → `?status=failed`. */
export function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}
