import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { ApiProblem, api, query } from '../api';
import { Dialog, ErrorBanner, FormActions, IntegrationBadge, LegacyBadge, Pager } from '../components/ui';
import { dateTime, displayPrefix, keyHint, lastUsed } from '../format';
import type { ApiKey, CreatedKey, ListPage } from '../types';

const GRACE_PERIODS = [
  { label: 'Revoke the old key now', seconds: 0 },
  { label: 'Keep it working for 1 hour', seconds: 3_600 },
  { label: 'Keep it working for 24 hours', seconds: 86_400 },
  { label: 'Keep it working for 7 days', seconds: 604_800 },
];

type Pending =
  | { kind: 'create' }
  | { kind: 'rotate' | 'revoke' | 'rename'; key: ApiKey }
  | { kind: 'created'; created: CreatedKey }
  | null;

const message = (caught: unknown) => (caught instanceof ApiProblem ? caught.message : String(caught));

/** Settings → API Keys (PRODUCT.md §3.3, §13). */
export function ApiKeysPage() {
  const [status, setStatus] = useState<'active' | 'revoked' | 'all'>('active');
  const [page, setPage] = useState(1);
  const [list, setList] = useState<ListPage<'api_keys', ApiKey> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState<Pending>(null);

  const load = useCallback(async () => {
    try {
      setList(
        await api<ListPage<'api_keys', ApiKey>>(
          'GET',
          `/api/v1/settings/api-keys${query({ status, page, limit: 20 })}`,
        ),
      );
      setError(null);
    } catch (caught) {
      setError(message(caught));
    }
  }, [status, page]);

  useEffect(() => {
    void load();
  }, [load]);

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
      <div className="filters">
        <label>
          Show{' '}
          <select
            value={status}
            onChange={(event) => {
              setStatus(event.target.value as typeof status);
              setPage(1);
            }}
          >
            <option value="active">active keys</option>
            <option value="revoked">revoked keys</option>
            <option value="all">all keys</option>
          </select>
        </label>
      </div>
      <ErrorBanner error={error} />
      {list && list.api_keys.length === 0 ? (
        <p className="empty">No {status === 'all' ? '' : status} keys yet.</p>
      ) : null}
      {list && list.api_keys.length > 0 ? (
        <table className="keys">
          <thead>
            <tr>
              <th>Name</th>
              <th>Key</th>
              <th>Integrations</th>
              <th>Created</th>
              <th>Last used</th>
              <th className="number">Requests</th>
              <th aria-label="actions" />
            </tr>
          </thead>
          <tbody>
            {list.api_keys.map((key) => {
              const hint = keyHint(key);
              return (
                <tr key={key.id} className={key.status === 'revoked' ? 'revoked' : undefined}>
                  <td>
                    <strong>{key.name}</strong>
                    {hint ? <div className={key.rotation_due ? 'hint warn' : 'hint'}>{hint}</div> : null}
                  </td>
                  <td>
                    <code>{displayPrefix(key.key_prefix)}</code>
                  </td>
                  <td className="badges">
                    {key.integrations.map((integration) => (
                      <IntegrationBadge key={integration} integration={integration} />
                    ))}
                    {key.is_legacy ? <LegacyBadge /> : null}
                  </td>
                  <td title={dateTime(key.created_at)}>{lastUsed(key.created_at)}</td>
                  <td
                    title={
                      key.last_used_at ? `${dateTime(key.last_used_at)} from ${key.last_used_ip ?? '?'}` : undefined
                    }
                  >
                    {lastUsed(key.last_used_at)}
                  </td>
                  <td className="number">{key.request_count.toLocaleString('en-US')}</td>
                  <td className="actions">
                    <a href={`#/keys/${key.id}/usage`}>Usage</a>
                    {key.status === 'active' ? (
                      <>
                        <button type="button" onClick={() => setPending({ kind: 'rename', key })}>
                          Rename
                        </button>
                        <button type="button" onClick={() => setPending({ kind: 'rotate', key })}>
                          Rotate
                        </button>
                        <button type="button" className="danger" onClick={() => setPending({ kind: 'revoke', key })}>
                          Revoke
                        </button>
                      </>
                    ) : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : null}
      {list ? <Pager page={list.page} totalPages={list.total_pages} onPage={setPage} /> : null}

      <Dialog open={pending?.kind === 'create'} title="Create API key" onClose={close}>
        <CreateKeyForm onCancel={close} onCreated={(created) => void done({ kind: 'created', created })} />
      </Dialog>
      <Dialog open={pending?.kind === 'created'} title="Your new API key" onClose={close}>
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
          <RevokeForm keyToRevoke={pending.key} onCancel={close} onRevoked={() => void done()} />
        ) : null}
      </Dialog>
      <Dialog open={pending?.kind === 'rename'} title="Rename API key" onClose={close}>
        {pending?.kind === 'rename' ? (
          <RenameForm keyToRename={pending.key} onCancel={close} onRenamed={() => void done()} />
        ) : null}
      </Dialog>
    </section>
  );
}

function CreateKeyForm({ onCancel, onCreated }: { onCancel: () => void; onCreated: (created: CreatedKey) => void }) {
  const [error, setError] = useState<string | null>(null);
  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const integrations = form.getAll('integrations').map(String);
    if (integrations.length === 0) return setError('choose at least one integration');
    const expires = String(form.get('expires_at') ?? '');
    try {
      onCreated(
        await api<CreatedKey>('POST', '/api/v1/settings/api-keys', {
          name: String(form.get('name')).trim(),
          integrations,
          ...(expires ? { expires_at: new Date(`${expires}T23:59:59Z`).toISOString() } : {}),
        }),
      );
    } catch (caught) {
      setError(message(caught));
    }
  }
  return (
    <form onSubmit={submit}>
      <label>
        Name
        <input name="name" required maxLength={255} placeholder="e.g. Laptop CLI" autoFocus />
      </label>
      <fieldset>
        <legend>Integrations</legend>
        <label className="check">
          <input type="checkbox" name="integrations" value="ai_tools" />{' '}
          <span className="badge badge-blue">AI Tools</span> Claude Code and Cursor hooks, and requests that declare{' '}
          <code>X-VibeXP-Integration: ai_tools</code>
        </label>
        <label className="check">
          <input type="checkbox" name="integrations" value="cli" defaultChecked />{' '}
          <span className="badge badge-green">CLI</span> the vibexp CLI, scripts and your own applications
        </label>
        <p className="muted">MCP clients use OAuth 2.1, not API keys.</p>
      </fieldset>
      <label>
        Expires <span className="muted">(optional)</span>
        <input name="expires_at" type="date" min={new Date(Date.now() + 86_400_000).toISOString().slice(0, 10)} />
      </label>
      <ErrorBanner error={error} />
      <FormActions label="Create key" onCancel={onCancel} />
    </form>
  );
}

/** The full key, shown this once, with a copy button and the warning that it cannot be shown again. */
function NewKey({ created, onDone }: { created: CreatedKey; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <div>
      <p className="warning" role="alert">
        Copy this key now. It is shown only once: VibeXP keeps a hash of it, not the key itself.
      </p>
      <div className="full-key">
        <code data-testid="full-key">{created.full_key}</code>
        <button
          type="button"
          onClick={() =>
            void navigator.clipboard
              ?.writeText(created.full_key)
              .then(() => setCopied(true))
              .catch(() => setCopied(false))
          }
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
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
  const [error, setError] = useState<string | null>(null);
  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const grace = Number(new FormData(event.currentTarget).get('grace'));
    try {
      onRotated(
        await api<CreatedKey>('POST', `/api/v1/settings/api-keys/${keyToRotate.id}/rotate`, {
          grace_period_seconds: grace,
        }),
      );
    } catch (caught) {
      setError(message(caught));
    }
  }
  return (
    <form onSubmit={submit}>
      <p>
        A new key replaces <strong>{keyToRotate.name}</strong> (<code>{displayPrefix(keyToRotate.key_prefix)}</code>)
        with the same name and integrations.
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
      <FormActions label="Rotate" onCancel={onCancel} />
    </form>
  );
}

function RevokeForm({
  keyToRevoke,
  onCancel,
  onRevoked,
}: {
  keyToRevoke: ApiKey;
  onCancel: () => void;
  onRevoked: () => void;
}) {
  const [error, setError] = useState<string | null>(null);
  async function revoke() {
    try {
      await api('DELETE', `/api/v1/settings/api-keys/${keyToRevoke.id}`);
      onRevoked();
    } catch (caught) {
      setError(message(caught));
    }
  }
  return (
    <div>
      <p>
        Revoke <strong>{keyToRevoke.name}</strong> (<code>{displayPrefix(keyToRevoke.key_prefix)}</code>)? Every tool
        that uses it is refused at once. This cannot be undone.
      </p>
      <ErrorBanner error={error} />
      <FormActions label="Revoke key" danger onCancel={onCancel} onAction={() => void revoke()} />
    </div>
  );
}

function RenameForm({
  keyToRename,
  onCancel,
  onRenamed,
}: {
  keyToRename: ApiKey;
  onCancel: () => void;
  onRenamed: () => void;
}) {
  const [error, setError] = useState<string | null>(null);
  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    try {
      await api('PATCH', `/api/v1/settings/api-keys/${keyToRename.id}`, {
        name: String(new FormData(event.currentTarget).get('name')).trim(),
      });
      onRenamed();
    } catch (caught) {
      setError(message(caught));
    }
  }
  return (
    <form onSubmit={submit}>
      <label>
        Name
        <input name="name" required maxLength={255} defaultValue={keyToRename.name} autoFocus />
      </label>
      <ErrorBanner error={error} />
      <FormActions label="Save" onCancel={onCancel} />
    </form>
  );
}
