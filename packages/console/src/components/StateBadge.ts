import { html } from 'htm/preact';

/** A task status or session state as a coloured label (colour by meaning: live, waiting, done, failed). */
export function StateBadge({ state }: { state: string }) {
  return html`<span class=${`badge badge-${state}`}>${state.replace('_', ' ')}</span>`;
}
