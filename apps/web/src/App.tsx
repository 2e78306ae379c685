import { useCallback, useEffect, useRef, useState } from 'react';
import { CSRF_STORAGE, TOKEN_LOST, api, hasCsrfToken, logoutFailure, onSessionEnded, rememberCsrf } from './api';
import { consentQuery } from './oauth';
import { AlertsPage } from './pages/AlertsPage';
import { ApiKeysPage } from './pages/ApiKeysPage';
import { AuditLogPage } from './pages/AuditLogPage';
import { AuthPage } from './pages/AuthPage';
import { ConnectedAppsPage } from './pages/ConnectedAppsPage';
import { ConsentPage } from './pages/ConsentPage';
import { ContentPage } from './pages/ContentPage';
import { AppUsagePage } from './pages/AppUsagePage';
import { CliLoginPage } from './pages/CliLoginPage';
import { KeyUsagePage } from './pages/KeyUsagePage';
import { SecuritySettingsPage } from './pages/SecuritySettingsPage';
import type { User } from './types';
import { dropDraftUnlessOf, keptDraftTitle } from './drafts';
import { keepUnsavedWork, mayLeave } from './unsaved';
import { MAIN_ID, focusHeading, focusMain, rescueFocusIn } from './focus';
import { documentTitle } from './titles';

/** The page a route shows: `/memories?project=shop` is the Memories page with a filter. */
const pageOf = (route: string): string => route.split('?', 2)[0];

/** Reloads the tab (another session is this browser's now), the page's unsaved work kept first. */
function reloadKeepingWork(): void {
  keepUnsavedWork();
  location.reload();
}

/** This tab's history entries carry their position, so that a refused move is undone in the right direction. */
const positionOf = (): number | undefined => (history.state as { position?: number } | null)?.position;

/**
 * Pages by hash (`#/keys`), so the gateway serves one file for every page. Another page (a link, Back,
 * Forward) is shown only once the page's unsaved work may be lost; if not, the move is undone: a new entry
 * (a link) by going back to the page shown, Back or Forward by as many steps the other way, so that no entry
 * of the history is overwritten.
 */
function useRoute(): string {
  const [route, setRoute] = useState(() => location.hash.slice(1) || '/keys');
  const shown = useRef({ route, position: 0 });
  useEffect(() => {
    if (positionOf() === undefined) history.replaceState({ ...(history.state as object), position: 0 }, '');
    shown.current.position = positionOf() ?? 0;
    /** The `hashchange` an undo causes, which shows the page already shown. */
    let undoing = false;
    const changed = () => {
      const next = location.hash.slice(1) || '/keys';
      const arrived = positionOf();
      if (undoing) {
        undoing = false;
        return;
      }
      if (pageOf(next) !== pageOf(shown.current.route) && !mayLeave()) {
        undoing = true;
        if (arrived === undefined) history.back();
        else history.go(shown.current.position - arrived);
        return;
      }
      // A new entry (a link, a filter): the next position. A replaced one (replaceInAddress) keeps its own.
      const position = arrived ?? shown.current.position + 1;
      if (arrived === undefined) history.replaceState({ ...(history.state as object), position }, '');
      shown.current = { route: next, position };
      setRoute(next);
    };
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return route;
}

const NAV = [
  ['/keys', 'API Keys'],
  ['/alerts', 'Security alerts'],
  ['/audit', 'Audit log'],
  ['/prompts', 'Prompts'],
  ['/artifacts', 'Artifacts'],
  ['/memories', 'Memories'],
  ['/settings/security', 'Security settings'],
  ['/settings/apps', 'Connected apps'],
] as const;

function Page({ route, account }: { route: string; account: string }) {
  // `/memories?project=shop`: the page, then what it shows (content lists keep their filters there).
  const [path, search = ''] = route.split('?', 2);
  const usage = /^\/keys\/([^/]+)\/usage$/.exec(path);
  // Keyed by what they show: another key or kind is a fresh page, not the last one's state.
  if (usage) return <KeyUsagePage key={usage[1]} keyId={usage[1]} search={search} />;
  const appUsage = /^\/settings\/apps\/([^/]+)\/usage$/.exec(path);
  if (appUsage) return <AppUsagePage key={appUsage[1]} grantId={appUsage[1]} search={search} />;
  switch (path) {
    case '/alerts':
      return <AlertsPage search={search} />;
    case '/audit':
      return <AuditLogPage search={search} />;
    case '/prompts':
    case '/artifacts':
    case '/memories':
      return (
        <ContentPage
          key={path}
          kind={path.slice(1) as 'prompts' | 'artifacts' | 'memories'}
          search={search}
          account={account}
        />
      );
    case '/settings/security':
      return <SecuritySettingsPage />;
    case '/settings/apps':
      return <ConnectedAppsPage />;
    default:
      return <ApiKeysPage search={search} />;
  }
}

export function App() {
  const [user, setUser] = useState<User | null | undefined>(undefined);
  const [notice, setNotice] = useState<string | null>(null);
  const route = useRoute();
  // An MCP client's authorization request: it stays in the address while the user signs in.
  const consent = consentQuery(route);
  // `vibexp auth login --web`: the CLI's request, likewise kept while the user signs in.
  const [routePath, routeSearch = ''] = route.split('?', 2);
  const cliLogin = routePath === '/cli/authorize' ? routeSearch : null;

  useEffect(() => {
    document.title = documentTitle(route, Boolean(user));
  }, [route, user]);

  /**
   * Another page shown to the signed-in user takes focus to its title. Not the page the tab opened on, nor the
   * first one after signing in or out: a new document, whose first Tab stop is "Skip to content".
   */
  const account = user === undefined ? undefined : (user?.id ?? null);
  const shownPage = pageOf(route);
  const shown = useRef<{ account: string | null | undefined; page: string } | null>(null);
  useEffect(() => {
    const before = shown.current;
    shown.current = { account, page: shownPage };
    if (account && before?.account === account && before.page !== shownPage) focusHeading();
  }, [account, shownPage]);

  /** Whether an account is shown (not the sign-in page, nor the first load's wait). */
  const signedIn = useRef(false);
  useEffect(() => {
    signedIn.current = Boolean(user);
  }, [user]);

  /**
   * The sign-in page, saying `message`: however the session ended, typed text the page has not saved is kept
   * (in this tab) and given back after the same account signs in again; the sign-in page says so. Not on Log
   * out (`forgetWork`): the user agreed to lose it, and a draft still kept is forgotten too.
   */
  const signOut = useCallback((message: string | null, { forgetWork = false } = {}) => {
    if (forgetWork) dropDraftUnlessOf(sessionStorage, null);
    else keepUnsavedWork();
    setNotice(message);
    setUser(null);
  }, []);

  useEffect(() => {
    api<User>('GET', '/api/v1/auth/me')
      .then((me) => {
        // A session cookie without its CSRF token can change nothing, logging out included: signed out.
        if (!hasCsrfToken()) return signOut(TOKEN_LOST);
        // Another account signed in (in another tab, which reloaded this one): the last one's draft is not its.
        dropDraftUnlessOf(sessionStorage, me.id);
        setUser(me);
      })
      .catch(() => setUser(null));
  }, [signOut]);

  useEffect(() => {
    // A call found the session gone. Not while signed out: the first load's /auth/me answers 401 then.
    onSessionEnded((message) => signedIn.current && signOut(message));
    // Another tab logged in or out: this one would otherwise act for an account it does not show. It reloads,
    // its unsaved work kept first. (A null key: its storage was cleared, the token with it.)
    const changedElsewhere = (event: StorageEvent) => {
      if (event.key === CSRF_STORAGE || event.key === null) reloadKeepingWork();
    };
    window.addEventListener('storage', changedElsewhere);
    return () => window.removeEventListener('storage', changedElsewhere);
  }, [signOut]);

  useEffect(() => {
    if (!user) return;
    // Back to this tab: still the same account, and still its token (cleared in this tab, no event says so)?
    const recheck = () => {
      if (!hasCsrfToken()) return signOut(TOKEN_LOST);
      void api<User>('GET', '/api/v1/auth/me')
        .then((me) => me.id !== user.id && reloadKeepingWork())
        .catch(() => undefined);
    };
    window.addEventListener('focus', recheck);
    return () => window.removeEventListener('focus', recheck);
  }, [user, signOut]);

  async function logout() {
    if (!mayLeave()) return;
    let notice: string | null = null;
    try {
      await api('POST', '/api/v1/auth/logout');
    } catch (caught) {
      const failure = logoutFailure(caught);
      if (!failure.signedOut) {
        window.alert(failure.message);
        return;
      }
      notice = failure.notice;
    }
    rememberCsrf(null);
    signOut(notice, { forgetWork: true });
  }

  if (user === undefined) return <p className="loading">Loading…</p>;
  if (user === null) {
    const keptTitle = keptDraftTitle(sessionStorage);
    const kept = keptTitle
      ? `Your unsaved changes to ${keptTitle} are kept in this tab: they come back once you sign in again.`
      : null;
    return (
      <AuthPage
        notice={[notice, kept].filter(Boolean).join(' ') || null}
        purpose={
          consent !== null
            ? 'Log in or sign up to review an app that asks to connect to your account.'
            : cliLogin !== null
              ? 'Log in or sign up to give the vibexp CLI on this computer an API key.'
              : null
        }
        onSignedIn={(signedIn) => {
          // A draft kept when another account's session ended is not this one's to see.
          dropDraftUnlessOf(sessionStorage, signedIn.id);
          setNotice(null);
          setUser(signedIn);
        }}
      />
    );
  }
  if (consent !== null) return <ConsentPage key={consent} query={consent} user={user} onLogout={() => void logout()} />;
  if (cliLogin !== null)
    return <CliLoginPage key={cliLogin} search={cliLogin} user={user} onLogout={() => void logout()} />;
  return (
    <div className="shell">
      {/* The first stop of Tab: past the menu, to the page (an <a href="#main"> would change the route). */}
      <button type="button" className="skip-link" onClick={focusMain}>
        Skip to content
      </button>
      <nav className="sidebar" aria-label="main">
        <div className="brand">VibeXP</div>
        {NAV.map(([path, label]) => (
          <a
            key={path}
            href={`#${path}`}
            // A page under an entry (a key's or an app's usage) keeps its entry current.
            aria-current={route.split('?')[0] === path || route.startsWith(`${path}/`) ? 'page' : undefined}
          >
            {label}
          </a>
        ))}
        <div className="account">
          <div>{user.name}</div>
          <div className="muted">
            {user.email} · {user.tier}
          </div>
          <button type="button" className="link" onClick={() => void logout()}>
            Log out
          </button>
        </div>
      </nav>
      <main className="content" id={MAIN_ID} tabIndex={-1} ref={rescueFocusIn}>
        <Page route={route} account={user.id} />
      </main>
    </div>
  );
}
