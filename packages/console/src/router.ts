/**
 * The console's routes live in the URL's hash (`#/sessions/ses_…`), so the API serves one page at `/`
 * and a reload or a shared link opens the same view.
 */
export type Route =
  | { view: 'overview' }
  | { view: 'sessions' }
  | { view: 'session'; id: string }
  | { view: 'tasks'; status?: string; slot?: string; cursor?: string }
  | { view: 'task'; id: string }
  | { view: 'approvals' }
  | { view: 'audit'; kind?: string; actor?: string; subject?: string }
  | { view: 'not_found'; path: string };

/** The route a location hash names (`''` and `#/` are the overview). */
export function parseRoute(hash: string): Route {
  const [path = '', search = ''] = hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const params = new URLSearchParams(search);
  const param = (name: string) => params.get(name) || undefined;
  const [section, id, ...rest] = parts;
  if (rest.length > 0) return { view: 'not_found', path };
  if (section === undefined) return { view: 'overview' };
  if (section === 'sessions') return id === undefined ? { view: 'sessions' } : { view: 'session', id };
  if (section === 'tasks')
    return id === undefined
      ? { view: 'tasks', status: param('status'), slot: param('slot'), cursor: param('cursor') }
      : { view: 'task', id };
  if (section === 'approvals' && id === undefined) return { view: 'approvals' };
  if (section === 'audit' && id === undefined)
    return { view: 'audit', kind: param('kind'), actor: param('actor'), subject: param('subject') };
  return { view: 'not_found', path };
}

/** The hash link of a route: the inverse of parseRoute. */
export function href(route: Route): string {
  switch (route.view) {
    case 'overview':
      return '#/';
    case 'sessions':
    case 'approvals':
      return `#/${route.view}`;
    case 'session':
      return `#/sessions/${encodeURIComponent(route.id)}`;
    case 'task':
      return `#/tasks/${encodeURIComponent(route.id)}`;
    case 'tasks': {
      const search = new URLSearchParams();
      for (const key of ['status', 'slot', 'cursor'] as const) if (route[key]) search.set(key, route[key]);
      const text = search.toString();
      return text ? `#/tasks?${text}` : '#/tasks';
    }
    case 'audit': {
      const search = new URLSearchParams();
      for (const key of ['kind', 'actor', 'subject'] as const) if (route[key]) search.set(key, route[key]);
      const text = search.toString();
      return text ? `#/audit?${text}` : '#/audit';
    }
    case 'not_found':
      return `#${route.path}`;
  }
}
