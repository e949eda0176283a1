import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { api, ApiError } from '../api/client.ts';
import { ErrorMessage } from '../components/ErrorMessage.ts';

/**
 * Asks for an API token and posts it to `/login`, which checks it and keeps it in an HttpOnly cookie:
 * scripts (this one included) never see it again.
 */
export function Login({ onLoggedIn }: { onLoggedIn: () => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    try {
      await api.post('/login', { token });
      setToken('');
      onLoggedIn();
    } catch (caught) {
      setError(caught as ApiError);
    } finally {
      setBusy(false);
    }
  };

  return html`<main class="login">
    <h1>Mission</h1>
    <form onSubmit=${submit}>
      <label for="token">API token</label>
      <input id="token" name="token" type="password" autocomplete="off" placeholder="msn.tok_…" value=${token} onInput=${(e: Event) => setToken((e.target as HTMLInputElement).value)} required />
      <button type="submit" disabled=${busy}>Sign in</button>
    </form>
    <${ErrorMessage} error=${error} />
    <p class="muted">Create a token with <code>npx mission token create --name me --scopes admin</code>.</p>
  </main>`;
}
