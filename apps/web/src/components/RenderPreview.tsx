import { useEffect, useRef, useState } from 'react';
import { api } from '../api';
import { filledPlaceholders } from '../content';
import { ErrorBanner, useLatest } from './ui';

/** How long typing must pause before the preview renders again: one request per pause, not one per key. */
const RENDER_DELAY_MS = 300;

interface Rendered {
  rendered_body: string;
  placeholders_missing: string[];
  references_used: string[];
  warnings: string[];
}

/**
 * A prompt rendered with the values typed for its placeholders (PRODUCT.md §5.1): one input per placeholder
 * (those of the prompts it includes too), rendered again once typing pauses. Only the latest request's answer
 * is shown, so a slow answer to earlier values never replaces the answer to the current ones.
 */
export function RenderPreview({ path }: { path: string }) {
  const [names, setNames] = useState<string[] | null>(null);
  const [values, setValues] = useState<Record<string, string>>({});
  const [rendered, setRendered] = useState<Rendered | null>(null);
  const [error, setError] = useState<string | null>(null);
  const latest = useLatest(setError);
  const pending = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(pending.current), []);

  const render = (typed: Record<string, string>) =>
    api<Rendered>('POST', `${path}/render`, { placeholders: filledPlaceholders(typed) });

  /** The placeholders (another prompt's may have changed since) and the body rendered with the values so far. */
  function preview() {
    clearTimeout(pending.current);
    void latest.load(
      () => Promise.all([api<{ placeholders: string[] }>('GET', `${path}/placeholders`), render(values)]),
      ([found, answer]) => {
        setNames(found.placeholders);
        setRendered(answer);
      },
      () => setRendered(null),
    );
  }

  function type(name: string, value: string) {
    const next = { ...values, [name]: value };
    setValues(next);
    // The answer to the values before this keystroke must not show under the new ones while typing pauses.
    latest.supersede();
    clearTimeout(pending.current);
    pending.current = setTimeout(
      () =>
        void latest.load(
          () => render(next),
          setRendered,
          () => setRendered(null),
        ),
      RENDER_DELAY_MS,
    );
  }

  return (
    <div className="render-preview">
      <button type="button" onClick={preview}>
        Preview render
      </button>
      <ErrorBanner error={error} />
      {names && names.length > 0 ? (
        <fieldset className="placeholders">
          <legend>Placeholder values (an empty one stays as it is)</legend>
          {names.map((name) => (
            <label key={name}>
              {`{{${name}}}`}
              <input value={values[name] ?? ''} onChange={(event) => type(name, event.target.value)} />
            </label>
          ))}
        </fieldset>
      ) : null}
      {rendered ? (
        <>
          {rendered.placeholders_missing.length > 0 ? (
            <p className="muted">Placeholders to fill: {rendered.placeholders_missing.join(', ')}</p>
          ) : null}
          {rendered.references_used.length > 0 ? (
            <p className="muted">Includes: {rendered.references_used.map((slug) => `@${slug}`).join(', ')}</p>
          ) : null}
          {rendered.warnings.map((warning) => (
            <p key={warning} className="warning">
              {warning}
            </p>
          ))}
          <pre aria-label="rendered body" aria-busy={latest.loading}>
            {rendered.rendered_body}
          </pre>
        </>
      ) : null}
    </div>
  );
}
