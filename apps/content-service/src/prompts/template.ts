import { DomainError, RpcErrorCode } from '#contracts';

/**
 * The prompt template language (PRODUCT.md §5.1), pure:
 * - `{{name}}` is a placeholder (letters, digits, `_`, `.`, `-`; spaces inside the braces allowed);
 * - `@slug` includes the account's prompt with that slug, recursively, when the `@` starts the text
 *   or follows a character that is not a letter, digit or `_` (so `ada@example.com` is plain text);
 * - `@@` is a literal `@`.
 */
const TOKEN = /@@|@([a-z0-9]+(?:-[a-z0-9]+)*)|\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}/g;
const WORD_CHAR = /[A-Za-z0-9_]/;
export const MAX_REFERENCE_DEPTH = 25;

type Segment =
  | { kind: 'text'; text: string }
  | { kind: 'placeholder'; name: string; raw: string }
  | { kind: 'reference'; slug: string; raw: string };

export function tokenize(body: string): Segment[] {
  const segments: Segment[] = [];
  let last = 0;
  const text = (value: string): void => {
    if (value) segments.push({ kind: 'text', text: value });
  };
  for (const match of body.matchAll(TOKEN)) {
    const index = match.index ?? 0;
    const [raw, slug, placeholder] = match;
    if (slug !== undefined && index > 0 && WORD_CHAR.test(body[index - 1])) continue;
    text(body.slice(last, index));
    if (raw === '@@') text('@');
    else if (slug !== undefined) segments.push({ kind: 'reference', slug, raw });
    else segments.push({ kind: 'placeholder', name: placeholder, raw });
    last = index + raw.length;
  }
  text(body.slice(last));
  return segments;
}

/** The slugs a body references directly (for the "still referenced" check on delete). */
export function referencedSlugs(body: string): string[] {
  return [...new Set(tokenize(body).flatMap((segment) => (segment.kind === 'reference' ? [segment.slug] : [])))];
}

export interface RenderOutcome {
  rendered_body: string;
  placeholders: string[];
  placeholders_missing: string[];
  references_used: string[];
  warnings: string[];
}

/**
 * Renders `rootSlug`'s body with `values`, following references through `bodies` (slug → body of
 * every prompt reachable from the root; a slug absent from it is unknown). A cycle is 422
 * TEMPLATE_CYCLE; a chain deeper than MAX_REFERENCE_DEPTH is 422 TEMPLATE_TOO_DEEP.
 */
export function render(
  rootSlug: string,
  bodies: ReadonlyMap<string, string>,
  values: Record<string, string> = {},
): RenderOutcome {
  const placeholders: string[] = [];
  const missing: string[] = [];
  const used: string[] = [];
  const warnings: string[] = [];
  const note = (list: string[], value: string): void => {
    if (!list.includes(value)) list.push(value);
  };

  const expand = (slug: string, path: string[]): string => {
    if (path.length > MAX_REFERENCE_DEPTH) {
      throw new DomainError(
        RpcErrorCode.TemplateTooDeep,
        `references nest more than ${MAX_REFERENCE_DEPTH} levels deep (from @${rootSlug})`,
      );
    }
    const body = bodies.get(slug) ?? '';
    return tokenize(body)
      .map((segment) => {
        switch (segment.kind) {
          case 'text':
            return segment.text;
          case 'placeholder':
            note(placeholders, segment.name);
            if (Object.hasOwn(values, segment.name)) return values[segment.name];
            note(missing, segment.name);
            return segment.raw;
          case 'reference':
            if (path.includes(segment.slug) || segment.slug === slug) {
              throw new DomainError(
                RpcErrorCode.TemplateCycle,
                `reference cycle: ${[...path, slug, segment.slug].map((s) => `@${s}`).join(' → ')}`,
              );
            }
            if (!bodies.has(segment.slug)) {
              note(warnings, `unknown reference @${segment.slug} was left as it is`);
              return segment.raw;
            }
            note(used, segment.slug);
            return expand(segment.slug, [...path, slug]);
        }
      })
      .join('');
  };

  const rendered = expand(rootSlug, []);
  return { rendered_body: rendered, placeholders, placeholders_missing: missing, references_used: used, warnings };
}
