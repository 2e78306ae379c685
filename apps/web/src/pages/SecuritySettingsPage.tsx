import { type FormEvent, useEffect, useState } from 'react';
import { api, messageOf } from '../api';
import { ErrorBanner, FieldError, invalidProps, useRequest } from '../components/ui';
import { ruleTitle } from '../alerts';
import type { SecuritySettings } from '../types';
import { AUTO_REVOKE_RULES } from '../../../../libs/contracts/src/alert-rules';

const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/**
 * The webhook's signing secret, hidden until asked for: a shared screen should not hand it out. Rotating it (when
 * it may have leaked) signs every delivery from then on with the new one, which is then shown.
 */
function SigningSecret({
  secret,
  rotating,
  saving,
  onRotated,
}: {
  secret: string;
  rotating: ReturnType<typeof useRequest>;
  /** A save in flight: its answer, coming after a rotation's, would show the secret it replaced. */
  saving: boolean;
  onRotated: (settings: SecuritySettings) => void;
}) {
  const [shown, setShown] = useState(false);
  function rotate() {
    if (
      !window.confirm(
        'Sign webhooks with a new secret from now on? For 24 hours they also carry X-VibeXP-Signature-Previous, made with the current one, while you give the receiver the new secret.',
      )
    )
      return;
    void rotating.run(async () => {
      onRotated(await api<SecuritySettings>('POST', '/api/v1/settings/security/webhook-secret/rotate'));
      setShown(true);
    });
  }
  return (
    <div className="muted">
      <p>
        Signing secret: <code>{shown ? secret : `${secret.slice(0, 4)}${'•'.repeat(12)}`}</code>{' '}
        <button type="button" className="link" aria-pressed={shown} onClick={() => setShown(!shown)}>
          {shown ? 'Hide' : 'Show'}
        </button>{' '}
        <button type="button" className="link" disabled={rotating.busy || saving} onClick={rotate}>
          Rotate
        </button>
      </p>
      <ErrorBanner error={rotating.error} />
    </div>
  );
}

/** Security settings (PRODUCT.md §9.2): time zone, working hours, webhook, auto-revoke. */
export function SecuritySettingsPage() {
  const [settings, setSettings] = useState<SecuritySettings | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  /** Whether working hours are ticked, once the user changed it (until then, as saved). */
  const [hasHoursChoice, setHasHours] = useState<boolean | null>(null);

  useEffect(() => {
    api<SecuritySettings>('GET', '/api/v1/settings/security')
      .then(setSettings)
      .catch((caught: unknown) => setError(messageOf(caught)));
  }, []);

  const saving = useRequest();
  const rotating = useRequest();

  function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const days = form.getAll('days').map(Number);
    // Said here in the form's words: the API's own message speaks to programs ("send working_hours: null").
    if (form.get('has_hours') && days.length === 0) {
      setSaved(false);
      return saving.setError('Working hours: choose at least one day, or untick Working hours.', {
        working_hours: 'choose at least one day, or untick Working hours',
      });
    }
    const body = {
      timezone: String(form.get('timezone')),
      working_hours: form.get('has_hours')
        ? { days, start: String(form.get('start')), end: String(form.get('end')) }
        : null,
      webhook_url: String(form.get('webhook_url') ?? '').trim() || null,
      auto_revoke_on: form.getAll('auto_revoke_on').map(String),
    };
    setSaved(false);
    void saving.run(async () => {
      setSettings(await api<SecuritySettings>('PUT', '/api/v1/settings/security', body));
      setError(null);
      setSaved(true);
    });
  }

  if (!settings)
    return (
      <section>
        <h1>Security settings</h1>
        {error ? <ErrorBanner error={error} /> : <p className="muted">Loading…</p>}
      </section>
    );
  const hours = settings.working_hours;
  const hasHours = hasHoursChoice ?? hours !== null;
  return (
    <section>
      <h1>Security settings</h1>
      <form onSubmit={save} className="settings" onChange={() => setSaved(false)}>
        <label>
          Time zone (IANA)
          <input
            name="timezone"
            defaultValue={settings.timezone}
            required
            placeholder="Europe/Berlin"
            {...invalidProps(saving.fieldErrors, 'timezone')}
          />
          <FieldError errors={saving.fieldErrors} name="timezone" />
        </label>
        <fieldset {...invalidProps(saving.fieldErrors, 'working_hours')}>
          <legend>
            <label className="check">
              <input
                type="checkbox"
                name="has_hours"
                defaultChecked={hours !== null}
                onChange={(event) => setHasHours(event.currentTarget.checked)}
              />{' '}
              Working hours (use outside them raises an off-hours alert)
            </label>
          </legend>
          {/* Days and times count only with working hours ticked: greyed out otherwise. */}
          <fieldset className="plain" disabled={!hasHours}>
            <div className="days">
              {DAYS.map((day, index) => (
                <label key={day} className="check">
                  <input
                    type="checkbox"
                    name="days"
                    value={index + 1}
                    defaultChecked={hours ? hours.days.includes(index + 1) : index < 5}
                  />{' '}
                  {day}
                </label>
              ))}
            </div>
            <label>
              from <input name="start" type="time" defaultValue={hours?.start ?? '09:00'} />
            </label>{' '}
            <label>
              to <input name="end" type="time" defaultValue={hours?.end ?? '18:00'} />
            </label>
          </fieldset>
          <FieldError errors={saving.fieldErrors} name="working_hours" />
        </fieldset>
        <label>
          Webhook URL <span className="muted">(alerts are POSTed here, signed with X-VibeXP-Signature)</span>
          <input
            name="webhook_url"
            type="url"
            defaultValue={settings.webhook_url ?? ''}
            placeholder="https://hooks.example.com/vibexp"
            {...invalidProps(saving.fieldErrors, 'webhook_url')}
          />
          <FieldError errors={saving.fieldErrors} name="webhook_url" />
        </label>
        {settings.webhook_url && settings.webhook_secret ? (
          <SigningSecret
            secret={settings.webhook_secret}
            rotating={rotating}
            saving={saving.busy}
            onRotated={setSettings}
          />
        ) : null}
        <fieldset>
          <legend>Revoke the key (or disconnect the app) automatically on</legend>
          {/* revoked_key_use is left out: its key is revoked already, so the API accepts it and does nothing. */}
          {AUTO_REVOKE_RULES.filter((rule) => rule !== 'revoked_key_use').map((rule) => (
            <label key={rule} className="check">
              <input
                type="checkbox"
                name="auto_revoke_on"
                value={rule}
                defaultChecked={settings.auto_revoke_on.includes(rule)}
              />{' '}
              {ruleTitle(rule)} <code>{rule}</code>
            </label>
          ))}
        </fieldset>
        <ErrorBanner error={error ?? saving.error} />
        <button type="submit" className="primary" disabled={saving.busy || rotating.busy}>
          Save
        </button>
        {/* Always there, so that screen readers announce "Saved" when it appears. */}
        <span className="ok" role="status">
          {saved ? ' Saved' : ''}
        </span>
      </form>
    </section>
  );
}
