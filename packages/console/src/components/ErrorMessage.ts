import { html } from 'htm/preact';
import type { ApiError } from '../api/client.ts';

/** An API error as a message on the page (never a blank screen). */
export function ErrorMessage({ error }: { error: ApiError | string | undefined }) {
  if (!error) return null;
  const text = typeof error === 'string' ? error : `${error.message}${error.status ? ` (${error.status} ${error.code})` : ''}`;
  return html`<p class="error" role="alert">${text}</p>`;
}

/** What a view shows before its first answer: the error if it failed, else "Loading…". */
export function Pending({ error }: { error: ApiError | undefined }) {
  return error ? html`<${ErrorMessage} error=${error} />` : html`<p class="muted">Loading…</p>`;
}
