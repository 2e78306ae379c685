import { type FormEvent, Fragment, useCallback, useEffect, useMemo, useState } from 'react';
import { api, query } from '../api';
import {
  AUDIT_FILTERS,
  type AuditFilters,
  auditLocation,
  eventDetails,
  inputFromUtc,
  parseAuditLocation,
  utcFromInput,
} from '../audit';
import { showInAddress } from '../address';
import { ErrorBanner, Loading, useLatest } from '../components/ui';
import { preciseTime } from '../format';
import type { AuditEvent } from '../types';

/** Who acted: the key's prefix, or a connected app (MCP) by its client id. */
function Credential({ event }: { event: AuditEvent }) {
  if (event.key_prefix) return <code>{event.key_prefix}…</code>;
  const clientId = event.meta?.client_id ?? event.data.client_id;
  if (typeof clientId === 'string') return <span title={`OAuth client ${clientId}`}>app {clientId.slice(0, 8)}…</span>;
  return <>—</>;
}

/** Everything an event says that the columns do not: why it failed, what changed, the request, the User-Agent. */
function EventDetails({ event }: { event: AuditEvent }) {
  return (
    <dl className="event-details">
      {eventDetails(event).map(([label, text], index) => (
        <Fragment key={`${index}-${label}`}>
          <dt>{label}</dt>
          <dd>
            <code>{text}</code>
          </dd>
        </Fragment>
      ))}
    </dl>
  );
}

/**
 * The audit log (PRODUCT.md §9.1): filters, newest first, cursor pages, export. `search` is the query part of
 * the page's address, which holds the filters (an alert links here with its key or address).
 */
export function AuditLogPage({ search }: { search: string }) {
  const filters = useMemo(() => parseAuditLocation(search), [search]);
  const [events, setEvents] = useState<AuditEvent[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [opened, setOpened] = useState<ReadonlySet<string>>(new Set());
  const toggle = (id: string) =>
    setOpened((shown) => {
      const next = new Set(shown);
      if (!next.delete(id)) next.add(id);
      return next;
    });

  const latest = useLatest(setError);
  const busy = latest.loading;

  const load = useCallback(
    (after: string | null) =>
      latest.load(
        () =>
          api<{ events: AuditEvent[]; next_cursor: string | null }>(
            'GET',
            `/api/v1/audit-log${query({ ...filters, limit: 50, cursor: after })}`,
          ),
        (page) => {
          setEvents((shown) => (after ? [...shown, ...page.events] : page.events));
          setCursor(page.next_cursor);
        },
        () => {
          // Rows of another filter under this filter's error would be read as its answer.
          setEvents([]);
          setCursor(null);
        },
      ),
    // `latest` keeps its state in a ref: not a dependency.
    [filters],
  );
  useEffect(() => {
    void load(null);
  }, [load]);

  function apply(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const next: AuditFilters = {};
    for (const name of AUDIT_FILTERS) {
      const value = String(form.get(name) ?? '').trim();
      // The table shows UTC, so the times typed here are UTC too.
      if (value) next[name] = name === 'from' || name === 'to' ? utcFromInput(value) : value;
    }
    showInAddress(auditLocation(next), () => void load(null));
  }

  return (
    <section>
      <header className="page-header">
        <h1>Audit log</h1>
        <span>
          Export: <a href={`/api/v1/audit-log/export${query({ ...filters, format: 'csv' })}`}>CSV</a> ·{' '}
          <a href={`/api/v1/audit-log/export${query({ ...filters, format: 'ndjson' })}`}>NDJSON</a>
        </span>
      </header>
      {/* Keyed by the address: Back or a link shows its filters in the inputs. */}
      <form key={search} className="filters" onSubmit={apply} aria-label="filters">
        <input name="type" aria-label="event type" placeholder="type, e.g. key.*" defaultValue={filters.type} />
        <input name="key_id" aria-label="key id" placeholder="key id" defaultValue={filters.key_id} />
        <input
          name="client_id"
          aria-label="app client id"
          placeholder="app (client id)"
          defaultValue={filters.client_id}
        />
        <input
          name="action"
          aria-label="action"
          placeholder="action, e.g. prompts.list"
          defaultValue={filters.action}
        />
        <select name="outcome" aria-label="outcome" defaultValue={filters.outcome ?? ''}>
          <option value="">any outcome</option>
          <option value="success">success</option>
          <option value="failure">failure</option>
        </select>
        <input name="ip" aria-label="IP address" placeholder="IP" defaultValue={filters.ip} />
        <label>
          from (UTC) <input name="from" type="datetime-local" defaultValue={inputFromUtc(filters.from)} />
        </label>
        <label>
          to (UTC) <input name="to" type="datetime-local" defaultValue={inputFromUtc(filters.to)} />
        </label>
        <button type="submit">Filter</button>
      </form>
      <ErrorBanner error={error} />
      <Loading shown={busy && events.length === 0} />
      {events.length === 0 && !error && !busy ? <p className="empty">No events match.</p> : null}
      {events.length > 0 ? (
        <table>
          <thead>
            <tr>
              <th>Time (UTC)</th>
              <th>Event</th>
              <th>Action</th>
              <th>Outcome</th>
              <th>Key / app</th>
              <th>IP</th>
              <th>Tool</th>
            </tr>
          </thead>
          <tbody>
            {events.map((event) => (
              <Fragment key={event.id}>
                <tr className={event.outcome === 'failure' ? 'failure' : undefined}>
                  <td className="time">{preciseTime(event.occurred_at)}</td>
                  <td>
                    <button
                      type="button"
                      className="link disclosure"
                      aria-expanded={opened.has(event.id)}
                      title="Show or hide the event’s details"
                      onClick={() => toggle(event.id)}
                    >
                      <code>{event.type}</code>
                    </button>
                  </td>
                  <td>{event.action}</td>
                  <td>{event.outcome}</td>
                  <td>
                    <Credential event={event} />
                  </td>
                  <td className="wrap">
                    {event.ip ?? '—'}
                    {event.location?.country ? (
                      <>
                        {' '}
                        <span className="muted">{event.location.country}</span>
                      </>
                    ) : null}
                  </td>
                  <td>{event.tool_type ?? '—'}</td>
                </tr>
                {opened.has(event.id) ? (
                  <tr className="details">
                    <td colSpan={7}>
                      <EventDetails event={event} />
                    </td>
                  </tr>
                ) : null}
              </Fragment>
            ))}
          </tbody>
        </table>
      ) : null}
      {cursor ? (
        <button type="button" disabled={busy} onClick={() => void load(cursor)}>
          Older events
        </button>
      ) : null}
    </section>
  );
}
