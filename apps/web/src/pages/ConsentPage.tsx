import { useEffect, useState } from 'react';
import { api, messageOf } from '../api';
import { ErrorBanner, useRequest, useSettled } from '../components/ui';
import { appName, decisionBody, redirectTarget } from '../oauth';
import type { OAuthAuthorization, OAuthDecision, OAuthRedirect, User } from '../types';

/** How long the page must have been in view, undisturbed, before Allow takes a click. */
const SETTLE_MS = 1_000;

/**
 * An MCP client asks for access (PRODUCT.md §14): who asks (by the name it gave itself), where the answer
 * goes, which account it acts as and what it may do; Allow or Deny sends the browser back to the client.
 */
export function ConsentPage({ query, user, onLogout }: { query: string; user: User; onLogout: () => void }) {
  const [request, setRequest] = useState<OAuthAuthorization | null>(null);
  const [error, setError] = useState<string | null>(null);
  // Set once the answer is in: the page is on its way to the client and must not be answered again.
  const [leaving, setLeaving] = useState(false);
  const deciding = useRequest();
  const settled = useSettled(SETTLE_MS);

  useEffect(() => {
    let shown = true; // false once the page is gone (a logout): its answer is no one's any more
    api<OAuthAuthorization>('GET', `/api/v1/oauth/authorization?${query}`)
      .then((answer) => shown && setRequest(answer))
      .catch((caught: unknown) => shown && setError(messageOf(caught)));
    return () => {
      shown = false;
    };
  }, [query]);

  const decide = (decision: OAuthDecision) =>
    void deciding.run(async () => {
      const answer = await api<OAuthRedirect>('POST', '/api/v1/oauth/authorization', decisionBody(query, decision));
      setLeaving(true);
      location.assign(answer.redirect_to);
    });

  if (!request)
    return (
      <main className="auth consent">
        <h1>Connect an app</h1>
        {error ? (
          <>
            <ErrorBanner error={error} />
            <p className="muted">
              This request cannot be approved. Start the connection again from the app; if it keeps failing, the app may
              need to register again.
            </p>
            <a href="#/keys">Go to the dashboard</a>
          </>
        ) : (
          <p className="muted">Loading the request…</p>
        )}
      </main>
    );

  const name = appName(request.client);
  const target = redirectTarget(request.redirect_uri);
  return (
    <main className="auth consent">
      <h1>Connect an app to VibeXP</h1>
      <p className="client-name">
        <strong data-testid="client-name">{name}</strong> <span className="badge badge-grey">unverified</span>
      </p>
      <p className="muted">
        The app chose this name itself when it registered; VibeXP has not verified it. Client ID{' '}
        <code>{request.client.client_id}</code>
        {request.client.client_uri ? (
          <>
            , home page given as <code>{request.client.client_uri}</code>
          </>
        ) : null}
        .
      </p>

      <div className="redirect">
        <div className="muted">Whatever you answer, your browser is sent to</div>
        <div className="redirect-host" data-testid="redirect-host">
          {target.host}
        </div>
        <div className="muted">
          {target.onThisComputer ? 'a program on this computer' : 'a website or app outside VibeXP'} ·{' '}
          <code>{request.redirect_uri}</code>
        </div>
      </div>
      <p>
        It will act as <strong>{user.email}</strong>.{' '}
        <button type="button" className="link" onClick={onLogout}>
          Not you? Log out
        </button>
      </p>

      <p>It asks to:</p>
      <ul className="scopes">
        {request.scopes.map((scope) => (
          <li key={scope.name}>
            {scope.description} <code>{scope.name}</code>
          </li>
        ))}
      </ul>
      <p>
        through the MCP server <code data-testid="resource">{request.resource}</code>
      </p>

      <p className="warning">
        Allow only if you started this from an app you trust and it runs at this address. You can disconnect it at any
        time under Connected apps.
      </p>

      <ErrorBanner error={deciding.error} />
      {leaving ? (
        <p className="muted" role="status">
          Taking you back to {target.host}…
        </p>
      ) : null}
      <div className="dialog-actions">
        <button type="button" onClick={() => decide('deny')} disabled={deciding.busy || leaving}>
          Deny
        </button>
        <button
          type="button"
          className="primary"
          onClick={() => decide('allow')}
          disabled={deciding.busy || leaving || !settled}
        >
          Allow
        </button>
      </div>
    </main>
  );
}
