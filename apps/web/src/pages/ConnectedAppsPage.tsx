import { useCallback, useEffect, useState } from 'react';
import { api, query } from '../api';
import { auditLocation } from '../audit';
import { ConfirmDelete, Dialog, ErrorBanner, Pager, useLatest } from '../components/ui';
import { dateTime, lastUsed } from '../format';
import { appName } from '../oauth';
import type { ListPage, OAuthGrant } from '../types';

/** Settings → Connected apps (PRODUCT.md §14): the MCP clients the user allowed, each until disconnected. */
export function ConnectedAppsPage() {
  const [page, setPage] = useState(1);
  const [list, setList] = useState<ListPage<'grants', OAuthGrant> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [disconnecting, setDisconnecting] = useState<OAuthGrant | null>(null);

  const latest = useLatest(setError);

  const load = useCallback(
    () =>
      latest.load(
        () => api<ListPage<'grants', OAuthGrant>>('GET', `/api/v1/settings/oauth/grants${query({ page, limit: 20 })}`),
        (loaded) => {
          // The last app of the last page went (disconnected): show the page that is now last.
          if (loaded.total_pages > 0 && page > loaded.total_pages) setPage(loaded.total_pages);
          else setList(loaded);
        },
      ),
    // `latest` keeps its state in a ref: not a dependency.
    [page],
  );

  useEffect(() => {
    void load();
  }, [load]);

  const mcpUrl = `${location.origin}/mcp/v1/common`;
  return (
    <section>
      <h1>Connected apps</h1>
      <p className="muted">
        MCP clients you allowed to reach your prompts, artifacts and memories. Disconnecting one ends its access at
        once; it has to ask you again to come back.
      </p>
      <ErrorBanner error={error} />
      {list && list.grants.length === 0 ? (
        <div className="empty">
          <p>
            No connected apps. MCP clients such as Claude Code appear here after you approve them. Give them the MCP URL{' '}
            <code data-testid="mcp-url">{mcpUrl}</code>
          </p>
          <p>
            For Claude Code: <code>claude mcp add --transport http vibexp {mcpUrl}</code>
          </p>
        </div>
      ) : null}
      {list && list.grants.length > 0 ? (
        <table className="grants">
          <thead>
            <tr>
              <th>App</th>
              <th>Access</th>
              <th>Connected</th>
              <th>Last used</th>
              <th aria-label="actions" />
            </tr>
          </thead>
          <tbody>
            {list.grants.map((grant) => {
              const name = appName(grant);
              return (
                <tr key={grant.id}>
                  <td className="wrap">
                    <strong>{name}</strong> <span className="badge badge-grey">unverified</span>
                    <div className="hint">client {grant.client_id}</div>
                  </td>
                  <td>
                    <div className="badges">
                      {grant.scopes.map((scope) => (
                        <code key={scope}>{scope}</code>
                      ))}
                    </div>
                    <div className="hint">{grant.resource}</div>
                  </td>
                  <td title={dateTime(grant.created_at)}>{lastUsed(grant.created_at)}</td>
                  <td title={grant.last_used_at ? dateTime(grant.last_used_at) : undefined}>
                    {lastUsed(grant.last_used_at)}
                  </td>
                  <td className="actions">
                    <a href={`#/settings/apps/${encodeURIComponent(grant.id)}/usage`} aria-label={`Usage of ${name}`}>
                      Usage
                    </a>
                    <a href={`#${auditLocation({ client_id: grant.client_id })}`} aria-label={`Activity of ${name}`}>
                      Activity
                    </a>
                    <button
                      type="button"
                      className="danger"
                      aria-label={`Disconnect ${name}`}
                      onClick={() => setDisconnecting(grant)}
                    >
                      Disconnect
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : null}
      {list ? <Pager page={list.page} totalPages={list.total_pages} onPage={setPage} /> : null}

      <Dialog open={disconnecting !== null} title="Disconnect app" onClose={() => setDisconnecting(null)}>
        {disconnecting ? (
          <ConfirmDelete
            path={`/api/v1/settings/oauth/grants/${encodeURIComponent(disconnecting.id)}`}
            label="Disconnect"
            onCancel={() => setDisconnecting(null)}
            onDeleted={() => {
              setDisconnecting(null);
              void load();
            }}
          >
            Disconnect <strong>{appName(disconnecting)}</strong>? Its access and refresh tokens stop working at once. To
            use it again you have to approve it again.
          </ConfirmDelete>
        ) : null}
      </Dialog>
    </section>
  );
}
