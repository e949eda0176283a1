import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { api } from '../api/client.ts';
import { ErrorMessage } from '../components/ErrorMessage.ts';
import { useAction } from '../hooks/useAction.ts';

/**
 * Asks for an API token and posts it to `/login`, which checks it and keeps it in an HttpOnly cookie:
 * scripts (this one included) never see it again.
 */
export function Login({ onLoggedIn }: { onLoggedIn: () => void }) {
  const [token, setToken] = useState('');
  const login = useAction(async () => {
    await api.post('/login', { token });
    setToken('');
    onLoggedIn();
  });
  const submit = (event: Event) => {
    event.preventDefault();
    void login.run();
  };

  return html`<main class="login">
    <h1>Mission</h1>
    <form onSubmit=${submit}>
      <label for="token">API token</label>
      <input id="token" name="token" type="password" autocomplete="off" placeholder="msn.tok_…" value=${token} onInput=${(e: Event) => setToken((e.target as HTMLInputElement).value)} required />
      <button type="submit" disabled=${login.busy}>Sign in</button>
    </form>
    <${ErrorMessage} error=${login.error} />
    <p class="muted">Create a token with <code>npx mission token create --name me --scopes admin</code>.</p>
  </main>`;
}
