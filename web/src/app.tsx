/** The explorer's shell: sign-in, the search bar, navigation and the view for the current route. */
import { useEffect, useState } from 'preact/hooks';
import { getJson, storeToken, storedToken, type Session } from './api.js';
import { href, useRoute, type RouteName } from './router.js';
import { SignIn } from './views/sign-in.js';
import { SearchBar } from './views/search-bar.js';
import { TraceView } from './views/trace-view.js';
import { RecallView } from './views/recall-view.js';
import { CustomsView } from './views/customs-view.js';
import { InspectorView } from './views/inspector-view.js';
import { ChainView } from './views/chain-view.js';
import { FormsView } from './views/forms-view.js';

const NAV: { name: RouteName; label: string }[] = [
  { name: 'trace', label: 'Trace' },
  { name: 'recall', label: 'Recall' },
  { name: 'customs', label: 'Customs' },
  { name: 'inspector', label: 'Inspector' },
  { name: 'chain', label: 'Chain status' },
  { name: 'forms', label: 'Forms' },
];

export function App() {
  const route = useRoute();
  const [session, setSession] = useState<Session | null>(null);
  const [checking, setChecking] = useState(() => storedToken() !== null);

  useEffect(() => {
    if (!storedToken()) return;
    getJson<Session>('/explorer/api/session')
      .then(setSession)
      .catch(() => storeToken(null))
      .finally(() => setChecking(false));
  }, []);

  // Each view names itself in the tab title; focus moves to the main heading for screen readers.
  useEffect(() => {
    document.title = `${NAV.find((n) => n.name === route.name)?.label ?? 'Search'} · Provenant explorer`;
  }, [route.name]);

  const signOut = () => {
    storeToken(null);
    setSession(null);
  };

  if (checking) return <main class="page"><p role="status">Checking your sign-in…</p></main>;
  if (!session) return <SignIn onSignedIn={setSession} />;

  const id = route.params.get('id') ?? '';
  return (
    <div class="shell">
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <div class="brand">
          <a href={href('search')} class="logo">Provenant explorer</a>
          <span class="who">
            {session.orgName} <span class="muted">({session.roles.join(', ')})</span> · {session.consortiumName}
          </span>
          <button type="button" class="link" onClick={signOut}>Sign out</button>
        </div>
        <SearchBar current={id} />
        <nav aria-label="Views">
          <ul>
            {NAV.map((n) => (
              <li key={n.name}>
                <a href={href(n.name, id && n.name !== 'chain' && n.name !== 'forms' ? { id } : {})} aria-current={route.name === n.name ? 'page' : undefined}>
                  {n.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      <main id="main" class="page" tabIndex={-1}>
        {route.name === 'search' && <Welcome session={session} />}
        {route.name === 'trace' && <TraceView session={session} id={id} direction={route.params.get('dir') === 'DOWNSTREAM' ? 'DOWNSTREAM' : 'UPSTREAM'} />}
        {route.name === 'recall' && <RecallView session={session} id={id} />}
        {route.name === 'customs' && <CustomsView session={session} id={id} />}
        {route.name === 'inspector' && <InspectorView session={session} id={id} />}
        {route.name === 'chain' && <ChainView session={session} />}
        {route.name === 'forms' && <FormsView />}
      </main>
    </div>
  );
}

function Welcome({ session }: { session: Session }) {
  return (
    <section aria-labelledby="welcome">
      <h1 id="welcome">Look up an item</h1>
      <p>
        Signed in as <strong>{session.orgName}</strong>. Type or paste an identifier above — a pack's GS1 Digital Link, an EPC URN, an ear tag or a
        container number — or scan its QR code. You see what your organisation may see; every hop is verified by this node as you look.
      </p>
      <ul class="hints">
        <li><strong>Trace</strong>: where an item came from (or went), each hop checked.</li>
        <li><strong>Recall</strong>: everything made from an item and where it is now, as CSV.</li>
        <li><strong>Customs</strong>: a container's contents, origins, documents and seals.</li>
        <li><strong>Inspector</strong>: an animal's history and inspection findings.</li>
        <li><strong>Chain status</strong>: height, witnesses and the latest blocks.</li>
      </ul>
      <p>
        Systems integrate through the EPCIS 2.0 REST interface and GraphQL: see the <a href="/openapi">API reference</a> (<a href="/openapi.json">OpenAPI document</a>).
      </p>
    </section>
  );
}
