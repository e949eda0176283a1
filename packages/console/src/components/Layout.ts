import { html } from 'htm/preact';
import type { ComponentChildren } from 'preact';
import { href, type Route } from '../router.ts';

const SECTIONS: { label: string; route: Route; views: Route['view'][] }[] = [
  { label: 'Overview', route: { view: 'overview' }, views: ['overview'] },
  { label: 'Sessions', route: { view: 'sessions' }, views: ['sessions', 'session'] },
  { label: 'Tasks', route: { view: 'tasks' }, views: ['tasks', 'task'] },
  { label: 'Approvals', route: { view: 'approvals' }, views: ['approvals'] },
  { label: 'Audit', route: { view: 'audit' }, views: ['audit'] },
];

/**
 * The page frame: navigation, links to Bull Board and the API docs, and sign out — only when the API asks for a token
 * (`auth`: undefined until the API has said).
 */
export function Layout({
  route,
  auth,
  onLogout,
  children,
}: {
  route: Route;
  auth: boolean | undefined;
  onLogout: () => void;
  children: ComponentChildren;
}) {
  return html`<div class="page">
    <header data-auth=${auth === undefined ? 'unknown' : auth ? 'on' : 'off'}>
      <strong class="brand">Mission</strong>
      <nav>
        ${SECTIONS.map(({ label, route: target, views }) => html`<a href=${href(target)} class=${views.includes(route.view) ? 'active' : ''}>${label}</a>`)}
        <a href="/admin/queues" target="_blank" rel="noopener">Bull Board ↗</a>
        <a href="/docs" target="_blank" rel="noopener">API docs ↗</a>
      </nav>
      ${auth ? html`<button type="button" class="link" onClick=${onLogout}>Sign out</button>` : null}
    </header>
    <main>${children}</main>
  </div>`;
}
