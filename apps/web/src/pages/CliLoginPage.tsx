import { type FormEvent, useState } from 'react';
import { api } from '../api';
import {
  CLI_KEY_LIFETIMES,
  DEFAULT_CLI_KEY_DAYS,
  cancelTarget,
  cliLoginRequest,
  confirmationCode,
  isCliCallback,
  keyExpiry,
} from '../cli-login';
import { IntegrationChoices } from '../components/integrations';
import { ErrorBanner, useRequest, useSettled } from '../components/ui';
import type { User } from '../types';

/** How long the page must have been in view, undisturbed, before Create takes a click (as on the consent page). */
const SETTLE_MS = 1_000;

/**
 * `vibexp auth login --web`: the CLI on this computer asks for a new API key. The user names it and picks its
 * integrations; Create sends the browser to the CLI's server on 127.0.0.1 with a one-time code, which the CLI
 * trades for the key. The key never shows here.
 */
export function CliLoginPage({ search, user, onLogout }: { search: string; user: User; onLogout: () => void }) {
  const request = cliLoginRequest(search);
  const { busy, error, setError, run } = useRequest();
  const settled = useSettled(SETTLE_MS);
  // Set once the answer is in: the browser is on its way to the CLI.
  const [leaving, setLeaving] = useState(false);

  if (!request)
    return (
      <main className="auth consent">
        <h1>Log in the vibexp CLI</h1>
        <ErrorBanner error="This address is not a login request of the vibexp CLI. Run `vibexp auth login --web` again." />
      </main>
    );

  function create(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const integrations = form.getAll('integrations').map(String);
    if (integrations.length === 0) return setError('choose at least one integration');
    void run(async () => {
      const expiresAt = keyExpiry(Number(form.get('lifetime')), new Date());
      const answer = await api<{ redirect_to: string }>('POST', '/api/v1/cli/authorizations', {
        ...request,
        name: String(form.get('name') ?? ''),
        integrations,
        ...(expiresAt ? { expires_at: expiresAt } : {}),
      });
      if (!isCliCallback(answer.redirect_to, request!)) throw new Error('the answer does not lead to the CLI');
      setLeaving(true);
      location.href = answer.redirect_to;
    });
  }

  function cancel() {
    setLeaving(true);
    location.href = cancelTarget(request!);
  }

  return (
    <main className="auth consent">
      <h1>Log in the vibexp CLI</h1>
      <p>
        The <strong>vibexp</strong> command-line client asks for a new API key for <strong>{user.email}</strong>.{' '}
        <button type="button" className="link" onClick={onLogout}>
          Not you? Log out
        </button>
      </p>
      <p>
        The key goes to the program waiting at <code>127.0.0.1:{request.port}</code> on this computer.
      </p>
      <p className="warning">
        Create the key only if you just ran <code>vibexp auth login --web</code> in a terminal on this computer, and it
        shows this confirmation code: <strong data-testid="confirmation-code">{confirmationCode(request)}</strong>
      </p>
      <form onSubmit={create}>
        <label>
          Key name
          <input name="name" defaultValue={request.name} required maxLength={255} />
        </label>
        <IntegrationChoices chosen={['cli']} />
        <label>
          Key lifetime
          <select name="lifetime" defaultValue={DEFAULT_CLI_KEY_DAYS}>
            {CLI_KEY_LIFETIMES.map((lifetime) => (
              <option key={lifetime.days} value={lifetime.days}>
                {lifetime.label}
              </option>
            ))}
          </select>
        </label>
        <ErrorBanner error={error} />
        {leaving ? <p className="muted">Back to your terminal…</p> : null}
        <div className="dialog-actions">
          <button type="button" onClick={cancel} disabled={busy || leaving}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy || leaving || !settled}>
            Create key for the CLI
          </button>
        </div>
      </form>
    </main>
  );
}
