import { type FormEvent, useState } from 'react';
import { ApiProblem, type FieldErrors, api, fieldErrorsOf, rememberCsrf } from '../api';
import { ErrorBanner, FieldError, invalidProps } from '../components/ui';
import type { User } from '../types';

/** Sign up and log in (PRODUCT.md §2). */
export function AuthPage({
  notice,
  purpose = null,
  onSignedIn,
}: {
  notice: string | null;
  /** Why the user is asked to sign in here, when it is not for the dashboard itself. */
  purpose?: string | null;
  onSignedIn: (user: User) => void;
}) {
  const [mode, setMode] = useState<'login' | 'signup'>('login');
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const body: Record<string, string> = { email: String(form.get('email')), password: String(form.get('password')) };
    if (mode === 'signup') body.name = String(form.get('name'));
    setBusy(true);
    setError(null);
    setFieldErrors({});
    try {
      const answer = await api<{ user: User; csrf_token: string }>('POST', `/api/v1/auth/${mode}`, body);
      rememberCsrf(answer.csrf_token);
      onSignedIn(answer.user);
    } catch (caught) {
      setError(caught instanceof ApiProblem ? caught.message : 'the platform cannot be reached');
      setFieldErrors(fieldErrorsOf(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="auth">
      <h1>VibeXP</h1>
      <p className="muted">Your prompts, artifacts and memories, and the API keys your tools use to reach them.</p>
      {purpose ? <p>{purpose}</p> : null}
      {notice ? <p className="warning">{notice}</p> : null}
      <form onSubmit={submit} aria-label={mode === 'login' ? 'Log in' : 'Sign up'}>
        {mode === 'signup' ? (
          <label>
            Name
            <input name="name" required maxLength={255} autoComplete="name" {...invalidProps(fieldErrors, 'name')} />
            <FieldError errors={fieldErrors} name="name" />
          </label>
        ) : null}
        <label>
          Email
          <input name="email" type="email" required autoComplete="email" {...invalidProps(fieldErrors, 'email')} />
          <FieldError errors={fieldErrors} name="email" />
        </label>
        <label>
          Password {mode === 'signup' ? <span className="muted">(at least 12 characters)</span> : null}
          <input
            name="password"
            type="password"
            required
            minLength={mode === 'signup' ? 12 : 1}
            autoComplete={mode === 'signup' ? 'new-password' : 'current-password'}
            {...invalidProps(fieldErrors, 'password')}
          />
          <FieldError errors={fieldErrors} name="password" />
        </label>
        <ErrorBanner error={error} />
        <button type="submit" className="primary" disabled={busy}>
          {mode === 'login' ? 'Log in' : 'Create account'}
        </button>
      </form>
      <p>
        {mode === 'login' ? 'No account yet? ' : 'Have an account? '}
        <button type="button" className="link" onClick={() => setMode(mode === 'login' ? 'signup' : 'login')}>
          {mode === 'login' ? 'Sign up' : 'Log in'}
        </button>
      </p>
    </main>
  );
}
