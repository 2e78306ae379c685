import { type FormEvent, type ReactNode, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api } from '../api';
import {
  ConfirmDelete,
  Dialog,
  ErrorBanner,
  FieldError,
  FormActions,
  IntegrationBadge,
  LegacyBadge,
  Loading,
  Pager,
  invalidProps,
  useLatest,
  useRequest,
} from '../components/ui';
import { dateTime, displayPrefix, integrationsInOrder, keyHint, keyLabels, lastUsed } from '../format';
import type { ApiKey, CreatedKey, Integration, ListPage } from '../types';
import { lastPageInstead, replaceInAddress, showInAddress } from '../address';
import { IntegrationChoices } from '../components/integrations';
import { type KeySort, type KeysView, keysLocation, keysQuery, parseKeysLocation, sortedBy } from '../keys';

const GRACE_PERIODS = [
  { label: 'Revoke the old key now', seconds: 0 },
  { label: 'Keep it working for 1 hour', seconds: 3_600 },
  { label: 'Keep it working for 24 hours', seconds: 86_400 },
  { label: 'Keep it working for 7 days', seconds: 604_800 },
];

type Pending =
  | { kind: 'create' }
  | { kind: 'rotate' | 'revoke' | 'edit'; key: ApiKey }
  | { kind: 'created'; created: CreatedKey }
  | null;

/**
 * Settings → API Keys (PRODUCT.md §3.3, §13). `search` is the query part of the page's address, which holds
 * the status shown, the search, the sort and the page: a reload, a link or Back shows the same list.
 */
export function ApiKeysPage({ search }: { search: string }) {
  const view = useMemo(() => parseKeysLocation(search), [search]);
  /** The search box as typed; Enter or Search applies it. */
  const [typed, setTyped] = useState(view.search);
  // The address changed (Back, a link): the box shows its search.
  useEffect(() => setTyped(view.search), [view.search]);
  const [list, setList] = useState<ListPage<'api_keys', ApiKey> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState<Pending>(null);

  const latest = useLatest(setError);

  const load = useCallback(
    () =>
      latest.load(
        () => api<ListPage<'api_keys', ApiKey>>('GET', `/api/v1/settings/api-keys${keysQuery(view)}`),
        (loaded) => {
          // The last key of the last page went (revoked): show the page that is now last, in place of this one.
          const last = lastPageInstead(view.page, loaded.total_pages);
          if (last !== null) replaceInAddress(keysLocation({ ...view, page: last }));
          else setList(loaded);
        },
      ),
    // `latest` keeps its state in a ref: not a dependency.
    [view],
  );

  /** Shows `next` in the address (a history entry, so Back returns to the previous list). */
  const show = (next: KeysView) => showInAddress(keysLocation(next), () => void load());

  /** A column heading that sorts the list by it, saying how it is sorted now. */
  const sortable = (column: KeySort, label: string, className?: string): ReactNode => (
    <th
      className={className}
      aria-sort={view.sort_by === column ? (view.sort_order === 'asc' ? 'ascending' : 'descending') : undefined}
    >
      <button type="button" className="sort" onClick={() => show(sortedBy(view, column))}>
        {label}
        <span aria-hidden="true">{view.sort_by === column ? (view.sort_order === 'asc' ? ' ▲' : ' ▼') : ''}</span>
      </button>
    </th>
  );

  useEffect(() => {
    void load();
  }, [load]);

  /** What each row's buttons call its key (with the prefix where two listed keys share a name). */
  const labels = keyLabels(list?.api_keys ?? []);

  const close = () => setPending(null);
  const done = async (next: Pending = null) => {
    setPending(next);
    await load();
  };

  return (
    <section>
      <header className="page-header">
        <h1>API Keys</h1>
        <button type="button" className="primary" onClick={() => setPending({ kind: 'create' })}>
          Create API key
        </button>
      </header>
      <p className="muted">
        Keys let the vibexp CLI, Claude Code and Cursor hooks and your scripts reach your prompts, artifacts and
        memories. Send one as <code>Authorization: Bearer vxk_…</code>.
      </p>
      <form
        className="filters"
        aria-label="filters"
        onSubmit={(event) => {
          event.preventDefault();
          show({ ...view, search: typed.trim(), page: 1 });
        }}
      >
        <input
          type="search"
          aria-label="search keys"
          placeholder="Name or key prefix"
          maxLength={255}
          value={typed}
          onChange={(event) => setTyped(event.target.value)}
        />
        <button type="submit">Search</button>
        <label>
          Show{' '}
          <select
            value={view.status}
            onChange={(event) => show({ ...view, status: event.target.value as KeysView['status'], page: 1 })}
          >
            <option value="active">active keys</option>
            <option value="revoked">revoked keys</option>
            <option value="all">all keys</option>
          </select>
        </label>
        {view.search ? (
          <button type="button" onClick={() => show({ ...view, search: '', page: 1 })}>
            Clear search
          </button>
        ) : null}
      </form>
      <ErrorBanner error={error} />
      <Loading shown={latest.loading && list === null} />
      {list && list.api_keys.length === 0 ? (
        <p className="empty">
          {view.search
            ? `No ${view.status === 'all' ? '' : `${view.status} `}key matches “${view.search}”.`
            : `No ${view.status === 'all' ? '' : view.status} keys yet.`}
        </p>
      ) : null}
      {list && list.api_keys.length > 0 ? (
        <table className="keys">
          <thead>
            <tr>
              {sortable('name', 'Name')}
              <th>Key</th>
              <th>Integrations</th>
              {sortable('created_at', 'Created')}
              {sortable('last_used_at', 'Last used')}
              <th className="number">Requests</th>
              <th aria-label="actions" />
            </tr>
          </thead>
          <tbody>
            {list.api_keys.map((key) => {
              const hint = keyHint(key);
              const label = labels.get(key.id) ?? key.name;
              return (
                <tr key={key.id} className={key.status === 'revoked' ? 'revoked' : undefined}>
                  <td className="wrap">
                    <strong>{key.name}</strong>
                    {hint ? <div className={key.rotation_due ? 'hint warn' : 'hint'}>{hint}</div> : null}
                    {key.migration_notes ? <div className="hint">{key.migration_notes}</div> : null}
                  </td>
                  <td>
                    <code>{displayPrefix(key.key_prefix)}</code>
                  </td>
                  <td>
                    <div className="badges">
                      {integrationsInOrder(key.integrations).map((integration) => (
                        <IntegrationBadge key={integration} integration={integration} />
                      ))}
                      {key.is_legacy ? <LegacyBadge /> : null}
                    </div>
                  </td>
                  <td className="when" title={dateTime(key.created_at)}>
                    {lastUsed(key.created_at)}
                  </td>
                  <td
                    className="when"
                    title={
                      key.last_used_at
                        ? `${dateTime(key.last_used_at)} from ${key.last_used_ip ?? '?'}${key.last_used_location ? ` (${key.last_used_location.city ? `${key.last_used_location.city}, ` : ''}${key.last_used_location.country})` : ''}`
                        : undefined
                    }
                  >
                    {lastUsed(key.last_used_at)}
                  </td>
                  <td className="number">{key.request_count.toLocaleString('en-US')}</td>
                  <td>
                    <div className="row-actions">
                      <a href={`#/keys/${key.id}/usage`} aria-label={`Usage of ${label}`}>
                        Usage
                      </a>
                      {key.status === 'active' ? (
                        <>
                          <button
                            type="button"
                            aria-label={`Edit ${label}`}
                            onClick={() => setPending({ kind: 'edit', key })}
                          >
                            Edit
                          </button>
                          {key.replaced_by ? null : (
                            <button
                              type="button"
                              aria-label={`Rotate ${label}`}
                              onClick={() => setPending({ kind: 'rotate', key })}
                            >
                              Rotate
                            </button>
                          )}
                          <button
                            type="button"
                            className="danger"
                            aria-label={`Revoke ${label}`}
                            onClick={() => setPending({ kind: 'revoke', key })}
                          >
                            Revoke
                          </button>
                        </>
                      ) : null}
                    </div>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : null}
      {list ? (
        <Pager page={list.page} totalPages={list.total_pages} onPage={(page) => show({ ...view, page })} />
      ) : null}

      <Dialog open={pending?.kind === 'create'} title="Create API key" onClose={close}>
        <CreateKeyForm onCancel={close} onCreated={(created) => void done({ kind: 'created', created })} />
      </Dialog>
      <Dialog open={pending?.kind === 'created'} title="Your new API key" onClose={close} dismissible={false}>
        {pending?.kind === 'created' ? <NewKey created={pending.created} onDone={close} /> : null}
      </Dialog>
      <Dialog open={pending?.kind === 'rotate'} title="Rotate API key" onClose={close}>
        {pending?.kind === 'rotate' ? (
          <RotateForm
            keyToRotate={pending.key}
            onCancel={close}
            onRotated={(created) => void done({ kind: 'created', created })}
          />
        ) : null}
      </Dialog>
      <Dialog open={pending?.kind === 'revoke'} title="Revoke API key" onClose={close}>
        {pending?.kind === 'revoke' ? (
          <ConfirmDelete
            path={`/api/v1/settings/api-keys/${pending.key.id}`}
            label="Revoke key"
            onCancel={close}
            onDeleted={() => void done()}
          >
            Revoke <strong>{pending.key.name}</strong> (<code>{displayPrefix(pending.key.key_prefix)}</code>)? Every
            tool that uses it is refused at once. This cannot be undone.
          </ConfirmDelete>
        ) : null}
      </Dialog>
      <Dialog open={pending?.kind === 'edit'} title="Edit API key" onClose={close}>
        {pending?.kind === 'edit' ? (
          <EditForm keyToEdit={pending.key} onCancel={close} onSaved={() => void done()} />
        ) : null}
      </Dialog>
    </section>
  );
}

function CreateKeyForm({ onCancel, onCreated }: { onCancel: () => void; onCreated: (created: CreatedKey) => void }) {
  const { busy, error, setError, fieldErrors, run } = useRequest();
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const integrations = form.getAll('integrations').map(String);
    if (integrations.length === 0)
      return setError('choose at least one integration', { integrations: 'choose at least one' });
    const expires = String(form.get('expires_at') ?? '');
    void run(async () =>
      onCreated(
        await api<CreatedKey>('POST', '/api/v1/settings/api-keys', {
          name: String(form.get('name')).trim(),
          integrations,
          ...(expires ? { expires_at: new Date(`${expires}T23:59:59Z`).toISOString() } : {}),
        }),
      ),
    );
  }
  return (
    <form onSubmit={submit}>
      <label>
        Name
        <input
          name="name"
          required
          maxLength={255}
          placeholder="e.g. Laptop CLI"
          autoFocus
          {...invalidProps(fieldErrors, 'name')}
        />
        <FieldError errors={fieldErrors} name="name" />
      </label>
      <IntegrationChoices chosen={['cli']} errors={fieldErrors} />
      <label>
        Expires <span className="muted">(optional; at the end of that day, UTC)</span>
        <input
          name="expires_at"
          type="date"
          // Today (UTC) is a choice too: the key then works until the end of it.
          min={new Date().toISOString().slice(0, 10)}
          {...invalidProps(fieldErrors, 'expires_at')}
        />
        <FieldError errors={fieldErrors} name="expires_at" />
      </label>
      <ErrorBanner error={error} />
      <FormActions label="Create key" onCancel={onCancel} busy={busy} />
    </form>
  );
}

/** The full key, shown this once, with a copy button and the warning that it cannot be shown again. */
function NewKey({ created, onDone }: { created: CreatedKey; onDone: () => void }) {
  const [copy, setCopy] = useState<'idle' | 'copied' | 'manual'>('idle');
  const keyText = useRef<HTMLElement>(null);
  async function copyKey() {
    try {
      // Only in a secure context (https, localhost); elsewhere the text is selected for Ctrl+C.
      if (!navigator.clipboard) throw new Error('no clipboard');
      await navigator.clipboard.writeText(created.full_key);
      setCopy('copied');
    } catch {
      const selection = window.getSelection();
      if (keyText.current && selection) {
        const range = document.createRange();
        range.selectNodeContents(keyText.current);
        selection.removeAllRanges();
        selection.addRange(range);
      }
      setCopy('manual');
    }
  }
  return (
    <div>
      <p className="warning" role="alert">
        Copy this key now. It is shown only once: VibeXP keeps a hash of it, not the key itself.
      </p>
      <div className="full-key">
        <code ref={keyText} data-testid="full-key">
          {created.full_key}
        </code>
        <button type="button" onClick={() => void copyKey()}>
          {copy === 'copied' ? 'Copied' : 'Copy'}
        </button>
      </div>
      {copy === 'manual' ? <p className="muted">The key is selected: press Ctrl+C (⌘C) to copy it.</p> : null}
      {created.replaces ? (
        <p className="muted">It replaces the rotated key, which stops working as you chose.</p>
      ) : null}
      <p className="muted">
        Try it:{' '}
        <code>
          curl -H "Authorization: Bearer {created.full_key}" {location.origin}/api/v1/auth/me
        </code>
      </p>
      <div className="dialog-actions">
        <button type="button" className="primary" onClick={onDone}>
          I have stored the key
        </button>
      </div>
    </div>
  );
}

function RotateForm({
  keyToRotate,
  onCancel,
  onRotated,
}: {
  keyToRotate: ApiKey;
  onCancel: () => void;
  onRotated: (created: CreatedKey) => void;
}) {
  const { busy, error, run } = useRequest();
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const grace = Number(new FormData(event.currentTarget).get('grace'));
    void run(async () =>
      onRotated(
        await api<CreatedKey>('POST', `/api/v1/settings/api-keys/${keyToRotate.id}/rotate`, {
          grace_period_seconds: grace,
        }),
      ),
    );
  }
  return (
    <form onSubmit={submit}>
      <p>
        A new key replaces <strong>{keyToRotate.name}</strong> (<code>{displayPrefix(keyToRotate.key_prefix)}</code>)
        with the same name and integrations
        {keyToRotate.integrations.includes('mcp_server')
          ? ', except the retired MCP Server, which no new key gets (MCP connects with OAuth now)'
          : ''}
        .
      </p>
      <label>
        The old key
        <select name="grace" defaultValue="0">
          {GRACE_PERIODS.map((option) => (
            <option key={option.seconds} value={option.seconds}>
              {option.label}
            </option>
          ))}
        </select>
      </label>
      <ErrorBanner error={error} />
      <FormActions label="Rotate" onCancel={onCancel} busy={busy} />
    </form>
  );
}

/**
 * Name and integrations (PATCH); integrations are sent only when changed. A legacy key's retired MCP Server is
 * one of the boxes, ticked: it stays unless the user unticks it.
 */
function EditForm({ keyToEdit, onCancel, onSaved }: { keyToEdit: ApiKey; onCancel: () => void; onSaved: () => void }) {
  const { busy, error, setError, fieldErrors, run } = useRequest();
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const integrations = form.getAll('integrations').map(String) as Integration[];
    if (integrations.length === 0)
      return setError('choose at least one integration', { integrations: 'choose at least one' });
    const current: Integration[] = keyToEdit.integrations;
    const changed =
      integrations.length !== current.length || integrations.some((integration) => !current.includes(integration));
    void run(async () => {
      await api('PATCH', `/api/v1/settings/api-keys/${keyToEdit.id}`, {
        name: String(form.get('name')).trim(),
        ...(changed ? { integrations } : {}),
      });
      onSaved();
    });
  }
  return (
    <form onSubmit={submit}>
      <label>
        Name
        <input
          name="name"
          required
          maxLength={255}
          defaultValue={keyToEdit.name}
          autoFocus
          {...invalidProps(fieldErrors, 'name')}
        />
        <FieldError errors={fieldErrors} name="name" />
      </label>
      <IntegrationChoices chosen={keyToEdit.integrations} errors={fieldErrors} />
      {keyToEdit.expires_at ? <p className="muted">Expires {dateTime(keyToEdit.expires_at)}.</p> : null}
      <ErrorBanner error={error} />
      <FormActions label="Save" onCancel={onCancel} busy={busy} />
    </form>
  );
}
