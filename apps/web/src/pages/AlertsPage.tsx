import { useCallback, useEffect, useMemo, useState } from 'react';
import { api, query } from '../api';
import { lastPageInstead, replaceInAddress } from '../address';
import { ErrorBanner, Loading, Pager, useLatest, useRequest } from '../components/ui';
import { ALERT_RULES, type AlertsView, alertsLocation, occurrences, parseAlertsLocation, ruleTitle } from '../alerts';
import { auditLocation } from '../audit';
import { dateTime, lastUsed } from '../format';
import type { Alert, ListPage } from '../types';

const RESOLUTIONS = [
  { value: 'legitimate', label: 'Legitimate (teach the detector)' },
  { value: 'revoked_key', label: 'I revoked the key (or disconnected the app)' },
  { value: 'false_positive', label: 'False positive' },
];

/**
 * Security alerts (PRODUCT.md §9.2): list, acknowledge, resolve. `search` is the query part of the page's
 * address, which holds the status and rule filters and the page.
 */
export function AlertsPage({ search }: { search: string }) {
  const view = useMemo(() => parseAlertsLocation(search), [search]);
  const { status, rule, page } = view;
  const show = (next: AlertsView) => {
    location.hash = `#${alertsLocation(next)}`;
  };
  const [list, setList] = useState<ListPage<'alerts', Alert> | null>(null);
  const [error, setError] = useState<string | null>(null);

  const latest = useLatest(setError);
  const acting = useRequest();

  const load = useCallback(
    () =>
      latest.load(
        () =>
          api<ListPage<'alerts', Alert>>(
            'GET',
            `/api/v1/security/alerts${query({ status: status === 'all' ? undefined : status, rule: rule || undefined, page })}`,
          ),
        (loaded) => {
          // Past the last page (its alerts resolved away, or an old link): the page that is now last instead.
          const last = lastPageInstead(page, loaded.total_pages);
          if (last !== null) replaceInAddress(alertsLocation({ ...view, page: last }));
          else setList(loaded);
        },
      ),
    // `latest` keeps its state in a ref: not a dependency.
    [view],
  );
  useEffect(() => {
    void load();
  }, [load]);

  /** Acknowledge or resolve: one at a time, then the list again. */
  const act = (alert: Alert, path: string, body?: unknown): Promise<void> =>
    acting.run(async () => {
      await api('POST', `/api/v1/security/alerts/${alert.id}/${path}`, body);
      await load();
    });

  return (
    <section>
      <header className="page-header">
        <h1>Security alerts</h1>
        <span className="filters-inline">
          <label>
            Status{' '}
            <select
              aria-label="status"
              value={status}
              onChange={(event) => show({ ...view, status: event.target.value, page: 1 })}
            >
              <option value="all">all</option>
              <option value="open">open</option>
              <option value="acknowledged">acknowledged</option>
              <option value="resolved">resolved</option>
            </select>
          </label>
          <label>
            Rule{' '}
            <select
              aria-label="rule"
              value={rule}
              onChange={(event) => show({ ...view, rule: event.target.value, page: 1 })}
            >
              <option value="">every rule</option>
              {ALERT_RULES.map((name) => (
                <option key={name} value={name}>
                  {ruleTitle(name)}
                </option>
              ))}
            </select>
          </label>
        </span>
      </header>
      <ErrorBanner error={error ?? acting.error} />
      <Loading shown={latest.loading && list === null} />
      {list && list.alerts.length === 0 && !latest.loading ? (
        <p className="empty">No {status === 'all' ? '' : status} alerts.</p>
      ) : null}
      <ul className="alerts">
        {list?.alerts.map((alert) => (
          <li key={alert.id} className={`alert severity-${alert.severity}`}>
            <div className="alert-head">
              <span className={`badge severity-${alert.severity}`}>{alert.severity}</span>{' '}
              <strong>{ruleTitle(alert.rule)}</strong> <code>{alert.rule}</code>{' '}
              <span className="muted">
                {occurrences(alert.count)} · last {lastUsed(alert.last_seen)} · {alert.status}
              </span>
            </div>
            <p>{alert.summary}</p>
            <AlertLinks alert={alert} />
            <details>
              <summary>Evidence</summary>
              <p className="muted">
                first {dateTime(alert.first_seen)}, last {dateTime(alert.last_seen)}
                {alert.key_prefix ? `, key ${alert.key_prefix}…` : ''}
              </p>
              <pre>{JSON.stringify(alert.evidence, null, 2)}</pre>
            </details>
            {alert.status !== 'resolved' ? (
              <div className="actions">
                {alert.status === 'open' ? (
                  <button type="button" disabled={acting.busy} onClick={() => void act(alert, 'acknowledge')}>
                    Acknowledge
                  </button>
                ) : null}
                <ResolveForm
                  onResolve={(resolution, note) => act(alert, 'resolve', { resolution, ...(note ? { note } : {}) })}
                />
              </div>
            ) : (
              <p className="muted">
                resolved: {alert.resolution}
                {alert.resolution_note ? ` — ${alert.resolution_note}` : ''}
              </p>
            )}
          </li>
        ))}
      </ul>
      {list ? (
        <Pager page={list.page} totalPages={list.total_pages} onPage={(next) => show({ ...view, page: next })} />
      ) : null}
    </section>
  );
}

/**
 * Where to look next: the key's usage and events, the failures from an address, or the connected apps for an
 * app whose token was replayed or whose use was unusual.
 */
function AlertLinks({ alert }: { alert: Alert }) {
  const links: [string, string][] = [];
  if (alert.key_id) {
    links.push([`#/keys/${alert.key_id}/usage`, 'See the key’s usage']);
    links.push([`#${auditLocation({ key_id: alert.key_id })}`, 'Its events in the audit log']);
  } else if (alert.rule === 'failed_auth_burst') {
    const [ip] = Array.isArray(alert.evidence.ips) ? (alert.evidence.ips as unknown[]) : [];
    if (typeof ip === 'string')
      links.push([`#${auditLocation({ ip, outcome: 'failure' })}`, 'The failures in the audit log']);
  }
  // A replayed OAuth token, or an app's own unusual use (its alert names the grant and client).
  if (typeof alert.evidence.client_id === 'string')
    links.push([`#${auditLocation({ client_id: alert.evidence.client_id })}`, 'The app’s activity in the audit log']);
  if (alert.rule === 'oauth_token_reuse' || typeof alert.evidence.grant_id === 'string')
    links.push(['#/settings/apps', 'Review connected apps']);
  if (links.length === 0) return null;
  return (
    <p className="links">
      {links.map(([href, label]) => (
        <a key={href} href={href}>
          {label}
        </a>
      ))}
    </p>
  );
}

/** Resolving is a decision (as legitimate, it teaches the detector): choose, add a note, then confirm. */
function ResolveForm({ onResolve }: { onResolve: (resolution: string, note: string) => Promise<void> }) {
  const { busy, run } = useRequest();
  return (
    <form
      className="resolve"
      onSubmit={(event) => {
        event.preventDefault();
        const form = new FormData(event.currentTarget);
        void run(() => onResolve(String(form.get('resolution')), String(form.get('note') ?? '').trim()));
      }}
    >
      <select name="resolution" aria-label="resolve as" required defaultValue="">
        <option value="" disabled>
          Resolve as…
        </option>
        {RESOLUTIONS.map((resolution) => (
          <option key={resolution.value} value={resolution.value}>
            {resolution.label}
          </option>
        ))}
      </select>
      <input name="note" aria-label="note" placeholder="note (optional)" maxLength={1000} />
      <button type="submit" disabled={busy}>
        Resolve
      </button>
    </form>
  );
}
