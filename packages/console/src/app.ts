import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api, onUnauthorized } from './api/client.ts';
import { Layout } from './components/Layout.ts';
import { parseRoute, type Route } from './router.ts';
import { Approvals } from './views/Approvals.ts';
import { Audit } from './views/Audit.ts';
import { Overview } from './views/Overview.ts';
import { Login } from './views/Login.ts';
import { SessionPage } from './views/SessionPage.ts';
import { Sessions } from './views/Sessions.ts';
import { TaskPage } from './views/TaskPage.ts';
import { Tasks } from './views/Tasks.ts';

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}

function View({ route }: { route: Route }) {
  switch (route.view) {
    case 'overview':
      return html`<${Overview} />`;
    case 'sessions':
      return html`<${Sessions} />`;
    case 'session':
      return html`<${SessionPage} key=${route.id} id=${route.id} />`;
    case 'tasks':
      return html`<${Tasks} filters=${route} />`;
    case 'task':
      return html`<${TaskPage} key=${route.id} id=${route.id} />`;
    case 'approvals':
      return html`<${Approvals} />`;
    case 'audit':
      return html`<${Audit} filters=${route} />`;
    case 'not_found':
      return html`<p class="error">Nothing here: <code>${route.path}</code>. <a href="#/">Back to the overview</a>.</p>`;
  }
}

/** The console: the login form whenever the API says 401, else the view the URL's hash names. */
export function App() {
  const route = useRoute();
  const [signedIn, setSignedIn] = useState(true);
  useEffect(() => onUnauthorized(() => setSignedIn(false)), []);
  const [auth, setAuth] = useState<boolean | undefined>(undefined);
  useEffect(() => {
    api.get<{ auth: boolean }>('/console/auth').then(
      (answer) => setAuth(answer.auth),
      // Not known: offer signing out, as with auth on.
      () => setAuth(true),
    );
  }, []);

  if (!signedIn) return html`<${Login} onLoggedIn=${() => setSignedIn(true)} />`;
  const logout = async () => {
    await api.post('/logout');
    setSignedIn(false);
  };
  return html`<${Layout} route=${route} auth=${auth} onLogout=${logout}><${View} route=${route} /></${Layout}>`;
}
