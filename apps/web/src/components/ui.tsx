import { type ReactNode, useEffect, useRef, useState } from 'react';
import { type FieldErrors, api, fieldErrorsOf, messageOf } from '../api';
import { INTEGRATION_BADGES, shares } from '../format';
import type { Integration } from '../types';

export function IntegrationBadge({ integration }: { integration: Integration }) {
  const badge = INTEGRATION_BADGES[integration];
  return (
    <span className={`badge badge-${badge.colour}`} title={badge.legacy ? 'legacy: MCP uses OAuth 2.1 now' : undefined}>
      {badge.label}
      {badge.legacy ? ' (legacy)' : ''}
    </span>
  );
}

export function LegacyBadge() {
  return <span className="badge badge-yellow">Legacy</span>;
}

/**
 * An answer's message for one field, beside it; the banner above the form still sums them all up (for screen
 * readers it is the alert). Pair with `invalidProps` on the field's control.
 */
export function FieldError({ errors, name }: { errors: FieldErrors; name: string }) {
  return errors[name] ? (
    <span className="field-error" id={`error-${name}`}>
      {errors[name]}
    </span>
  ) : null;
}

/** A control whose field the last answer refused: marked invalid, and described by its message. */
export function invalidProps(
  errors: FieldErrors,
  name: string,
): { 'aria-invalid'?: true; 'aria-describedby'?: string } {
  return errors[name] ? { 'aria-invalid': true, 'aria-describedby': `error-${name}` } : {};
}

/**
 * While a list's request is pending: said (a screen reader announces it), so an empty page is not taken as the
 * answer. The status region is always there and only its text changes: one inserted together with its text is
 * often not announced.
 */
export function Loading({ shown }: { shown: boolean }) {
  return (
    <p className="muted" role="status">
      {shown ? 'Loading…' : null}
    </p>
  );
}

export function ErrorBanner({ error }: { error: string | null }) {
  return error ? (
    <p className="error" role="alert">
      {error}
    </p>
  ) : null;
}

/** A modal dialog on the native <dialog> element (focus trap and Escape for free), open while `open` is. */
export function Dialog({
  open,
  title,
  onClose,
  dismissible = true,
  children,
}: {
  open: boolean;
  title: string;
  onClose: () => void;
  /** false: Escape does not close it (the one-time key must be closed on purpose). */
  dismissible?: boolean;
  children: ReactNode;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    // Escape fires `cancel`: the parent decides. Not `close`, which also fires when the parent closes it.
    <dialog
      ref={ref}
      onCancel={(event) => {
        event.preventDefault();
        if (dismissible) onClose();
      }}
      aria-label={title}
    >
      <h2>{title}</h2>
      {open ? children : null}
    </dialog>
  );
}

/** The buttons under a form or dialog: Cancel, then the action (submitting the form unless `onAction`). */
export function FormActions({
  label,
  onCancel,
  onAction,
  danger = false,
  busy = false,
  children,
}: {
  label: string;
  onCancel: () => void;
  onAction?: () => void;
  danger?: boolean;
  /** While the request runs: the action cannot be sent twice. */
  busy?: boolean;
  children?: ReactNode;
}) {
  return (
    <div className="dialog-actions">
      {children}
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
      <button
        type={onAction ? 'button' : 'submit'}
        className={danger ? 'danger' : 'primary'}
        onClick={onAction}
        disabled={busy}
      >
        {label}
      </button>
    </div>
  );
}

/** Horizontal bars, labelled, each sized against the largest. */
export function Bars({
  items,
  empty = 'No requests in this range',
}: {
  items: { label: string; count: number }[];
  empty?: string;
}) {
  if (items.length === 0) return <p className="muted">{empty}</p>;
  return (
    <ul className="bars">
      {shares(items).map((item) => (
        <li key={item.label}>
          <span className="bar-label">{item.label}</span>
          <span className="bar" style={{ width: `${Math.max(item.share * 100, 1)}%` }} />
          <span className="bar-count">{item.count.toLocaleString('en-US')}</span>
        </li>
      ))}
    </ul>
  );
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A bucket's start in words, UTC: "27 Nov 14:00" for an hour, "27 Nov 2026" for a day. */
function bucketName(start: string, hourly: boolean): string {
  const at = new Date(start);
  const day = `${at.getUTCDate()} ${MONTHS[at.getUTCMonth()]}`;
  return hourly ? `${day} ${String(at.getUTCHours()).padStart(2, '0')}:00` : `${day} ${at.getUTCFullYear()}`;
}

/** Requests over time as an SVG column chart, as wide as its box (the columns stretch, the height stays). */
export function Columns({ series }: { series: { start: string; count: number }[] }) {
  const width = 720;
  const height = 160;
  const gap = 2;
  const column = series.length > 0 ? width / series.length : width;
  const bars = shares(series);
  const max = Math.max(0, ...series.map((point) => point.count));
  const hourly = series.length > 1 && Date.parse(series[1].start) - Date.parse(series[0].start) < 86_400_000;
  return (
    <figure className="columns">
      <svg viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none" role="img" aria-label="requests over time">
        {bars.map((point, index) => (
          <rect
            key={point.start}
            x={index * column + gap / 2}
            y={height - point.share * (height - 4)}
            width={Math.max(column - gap, 1)}
            height={point.share * (height - 4)}
          >
            <title>{`${bucketName(point.start, hourly)} UTC: ${point.count.toLocaleString('en-US')} requests`}</title>
          </rect>
        ))}
      </svg>
      <figcaption className="muted">
        {series.length > 0
          ? `${bucketName(series[0].start, hourly)} → ${bucketName(series[series.length - 1].start, hourly)} UTC, ` +
            `${hourly ? 'by hour' : 'by day'}, peak ${max.toLocaleString('en-US')}`
          : 'no data'}
      </figcaption>
    </figure>
  );
}

export function Pager({
  page,
  totalPages,
  onPage,
}: {
  page: number;
  totalPages: number;
  onPage: (page: number) => void;
}) {
  if (totalPages <= 1) return null;
  return (
    <nav className="pager">
      <button type="button" disabled={page <= 1} onClick={() => onPage(page - 1)}>
        Previous
      </button>
      <span>
        page {page} of {totalPages}
      </span>
      <button type="button" disabled={page >= totalPages} onClick={() => onPage(page + 1)}>
        Next
      </button>
    </nav>
  );
}

/**
 * One request at a time for a form or button: `busy` while it runs (a double click sends it once), and
 * its error, if it failed.
 */
export function useRequest() {
  const running = useRef(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  /** The fields the last answer refused, with their messages, to show beside them. */
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  async function run(request: () => Promise<void>): Promise<void> {
    if (running.current) return;
    running.current = true;
    setBusy(true);
    setError(null);
    setFieldErrors({});
    try {
      await request();
    } catch (caught) {
      setError(messageOf(caught));
      setFieldErrors(fieldErrorsOf(caught));
    } finally {
      running.current = false;
      setBusy(false);
    }
  }
  /** A message of the form's own (a check before sending), with the fields it is about; null clears both. */
  function setFormError(message: string | null, fields: FieldErrors = {}): void {
    setError(message);
    setFieldErrors(fields);
  }
  return { busy, error, setError: setFormError, fieldErrors, run };
}

/**
 * A page's loads: only the latest one's answer is shown. An answer to an earlier load (another filter or
 * page, still in flight when the user changed it) is dropped instead of shown under the new selection.
 * Success clears the page's error; failure sets it (and runs `onFailure`, e.g. to clear stale rows).
 */
export function useLatest(setError: (message: string | null) => void) {
  const latest = useRef(0);
  const [loading, setLoading] = useState(false);
  async function load<T>(request: () => Promise<T>, apply: (value: T) => void, onFailure?: () => void): Promise<void> {
    const ticket = ++latest.current;
    setLoading(true);
    try {
      const value = await request();
      if (ticket !== latest.current) return;
      setError(null);
      apply(value);
    } catch (caught) {
      if (ticket !== latest.current) return;
      onFailure?.();
      setError(messageOf(caught));
    } finally {
      if (ticket === latest.current) setLoading(false);
    }
  }
  /** Answers to requests already sent no longer apply (the values they were for have changed since). */
  function supersede(): void {
    latest.current += 1;
    setLoading(false);
  }
  return { load, loading, supersede };
}

/**
 * A confirmation before a DELETE that cannot be undone (revoke a key, disconnect an app): the question, then
 * the action, sent once however often it is clicked, with its error shown in place.
 */
export function ConfirmDelete({
  path,
  label,
  onCancel,
  onDeleted,
  children,
}: {
  path: string;
  label: string;
  onCancel: () => void;
  onDeleted: () => void;
  children: ReactNode;
}) {
  const { busy, error, run } = useRequest();
  const confirm = () =>
    void run(async () => {
      await api('DELETE', path);
      onDeleted();
    });
  return (
    <div>
      <p>{children}</p>
      <ErrorBanner error={error} />
      <FormActions label={label} danger onCancel={onCancel} onAction={confirm} busy={busy} />
    </div>
  );
}

/**
 * True once the page has been visible for `delayMs` without gaining or losing focus or visibility; any of
 * those starts the wait again. Against double-clickjacking: a page that asks for a double click and swaps
 * this one in under the pointer between the two clicks must not land the second click on Allow. (Not
 * `document.hasFocus()` as a condition: a browser that opened the page without focusing its window would
 * never arm it.)
 */
export function useSettled(delayMs: number): boolean {
  const [settled, setSettled] = useState(false);
  useEffect(() => {
    let timer: number | undefined;
    const restart = () => {
      window.clearTimeout(timer);
      setSettled(false);
      if (document.visibilityState === 'visible') timer = window.setTimeout(() => setSettled(true), delayMs);
    };
    restart();
    window.addEventListener('focus', restart);
    window.addEventListener('blur', restart);
    document.addEventListener('visibilitychange', restart);
    return () => {
      window.clearTimeout(timer);
      window.removeEventListener('focus', restart);
      window.removeEventListener('blur', restart);
      document.removeEventListener('visibilitychange', restart);
    };
  }, [delayMs]);
  return settled;
}
