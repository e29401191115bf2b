/** Sign-in with an organisation's API token; a demo node also lists its demo organisations' tokens. */
import { useEffect, useState } from 'preact/hooks';
import { ApiFailure, getJson, storeToken, type DemoToken, type Session } from '../api.js';

export function SignIn({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [demo, setDemo] = useState<DemoToken[]>([]);

  useEffect(() => {
    getJson<{ demo: boolean; tokens: DemoToken[] }>('/explorer/api/demo-tokens', null)
      .then((d) => setDemo(d.tokens))
      .catch(() => setDemo([]));
  }, []);

  const signIn = async (value: string) => {
    setBusy(true);
    setError(null);
    try {
      const session = await getJson<Session>('/explorer/api/session', value.trim());
      storeToken(value.trim());
      onSignedIn(session);
    } catch (err) {
      setError(err instanceof ApiFailure ? err.message : 'The node could not be reached.');
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="page narrow" id="main">
      <h1>Provenant explorer</h1>
      <p>Sign in with your organisation's API token (an operator issues one with <code>provenant token issue</code>).</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void signIn(token);
        }}
      >
        <label for="token">API token</label>
        <input id="token" name="token" type="password" autoComplete="off" spellcheck={false} value={token} onInput={(e) => setToken(e.currentTarget.value)} required aria-describedby={error ? 'token-error' : undefined} />
        {error && <p id="token-error" class="error" role="alert">{error}</p>}
        <button type="submit" disabled={busy || token.trim() === ''}>{busy ? 'Signing in…' : 'Sign in'}</button>
      </form>
      {demo.length > 0 && (
        <section aria-labelledby="demo-heading" class="card">
          <h2 id="demo-heading">Demo organisations</h2>
          <p class="muted">This node runs the demo consortium; sign in as one of its members.</p>
          <ul class="demo-tokens">
            {demo.map((d) => (
              <li key={d.orgId}>
                <button type="button" class="secondary" data-org={d.orgId} onClick={() => void signIn(d.token)}>
                  Sign in as {d.name} <span class="muted">({d.roles.join(', ')})</span>
                </button>
                <code class="token" aria-label={`token of ${d.name}`}>{d.token}</code>
              </li>
            ))}
          </ul>
        </section>
      )}
    </main>
  );
}
