import { DomainError, RESERVED_KEYS, RpcErrorCode } from '#contracts';

/**
 * The prompt template language (PRODUCT.md §5.1), pure:
 * - `{{name}}` is a placeholder (letters, digits, `_`, `.`, `-`; spaces inside the braces allowed), except the
 *   reserved names `__proto__`, `constructor` and `prototype`, which no request can give a value: plain text;
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
    else if (RESERVED_KEYS.has(placeholder)) text(raw);
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
 * The most a render may produce, and the most references it may expand. A few prompts that each include the
 * next ten times would otherwise render 10^n copies: the limits refuse that before it is built. A million
 * characters is several times what any model's context takes.
 */
export const MAX_RENDERED_LENGTH = 1_000_000;
export const MAX_REFERENCE_EXPANSIONS = 10_000;
/**
 * Text, placeholders and references walked in all: 20,000 placeholders given an empty value, included 10,000
 * times, emit nothing and stay under both limits above, yet are 2 × 10^8 steps.
 */
export const MAX_SEGMENTS_VISITED = 1_000_000;

const tooLarge = (what: string, rootSlug: string): DomainError =>
  new DomainError(RpcErrorCode.TemplateTooLarge, `${what} (from @${rootSlug})`);

const tooDeep = (rootSlug: string): DomainError =>
  new DomainError(
    RpcErrorCode.TemplateTooDeep,
    `references nest more than ${MAX_REFERENCE_DEPTH} levels deep (from @${rootSlug})`,
  );

const cycle = (path: string[]): DomainError =>
  new DomainError(RpcErrorCode.TemplateCycle, `reference cycle: ${path.map((s) => `@${s}`).join(' → ')}`);

/** Each body tokenized once, however often it is included. */
function segmentsOf(bodies: ReadonlyMap<string, string>): (slug: string) => Segment[] {
  const known = new Map<string, Segment[]>();
  return (slug) => {
    let segments = known.get(slug);
    if (!segments) known.set(slug, (segments = tokenize(bodies.get(slug) ?? '')));
    return segments;
  };
}

/**
 * Renders `rootSlug`'s body with `values`, following references through `bodies` (slug → body of
 * every prompt reachable from the root; a slug absent from it is unknown). A cycle is 422
 * TEMPLATE_CYCLE; a chain deeper than MAX_REFERENCE_DEPTH is 422 TEMPLATE_TOO_DEEP; a result longer than
 * MAX_RENDERED_LENGTH, more than MAX_REFERENCE_EXPANSIONS references expanded or MAX_SEGMENTS_VISITED parts
 * walked is 422 TEMPLATE_TOO_LARGE.
 */
export function render(
  rootSlug: string,
  bodies: ReadonlyMap<string, string>,
  values: Record<string, string> = {},
): RenderOutcome {
  // Sets keep their insertion order: each name once, in order of first use, without a search per note.
  const placeholders = new Set<string>();
  const missing = new Set<string>();
  const used = new Set<string>();
  const warnings = new Set<string>();
  const segments = segmentsOf(bodies);
  const parts: string[] = [];
  let length = 0;
  let expansions = 0;
  let visited = 0;
  const emit = (text: string): void => {
    if (text === '') return;
    length += text.length;
    if (length > MAX_RENDERED_LENGTH)
      throw tooLarge(
        `the rendered prompt would be longer than ${MAX_RENDERED_LENGTH.toLocaleString('en')} characters`,
        rootSlug,
      );
    parts.push(text);
  };

  const expand = (slug: string, path: string[]): void => {
    if (path.length > MAX_REFERENCE_DEPTH) throw tooDeep(rootSlug);
    for (const segment of segments(slug)) {
      visited += 1;
      if (visited > MAX_SEGMENTS_VISITED)
        throw tooLarge(
          `the prompt would take more than ${MAX_SEGMENTS_VISITED.toLocaleString('en')} steps to render`,
          rootSlug,
        );
      switch (segment.kind) {
        case 'text':
          emit(segment.text);
          break;
        case 'placeholder':
          placeholders.add(segment.name);
          if (Object.hasOwn(values, segment.name)) emit(values[segment.name]);
          else {
            missing.add(segment.name);
            emit(segment.raw);
          }
          break;
        case 'reference':
          if (path.includes(segment.slug) || segment.slug === slug) throw cycle([...path, slug, segment.slug]);
          if (!bodies.has(segment.slug)) {
            warnings.add(`unknown reference @${segment.slug} was left as it is`);
            emit(segment.raw);
            break;
          }
          expansions += 1;
          if (expansions > MAX_REFERENCE_EXPANSIONS)
            throw tooLarge(
              `the prompt would expand more than ${MAX_REFERENCE_EXPANSIONS.toLocaleString('en')} references`,
              rootSlug,
            );
          used.add(segment.slug);
          expand(segment.slug, [...path, slug]);
      }
    }
  };

  expand(rootSlug, []);
  return {
    rendered_body: parts.join(''),
    placeholders: [...placeholders],
    placeholders_missing: [...missing],
    references_used: [...used],
    warnings: [...warnings],
  };
}

/**
 * The placeholders `render` would list, in the same order, with the same cycle and depth checks, but visiting
 * each prompt once however often it is included: listing them costs the size of the prompts, not of the result.
 */
export function placeholdersOf(rootSlug: string, bodies: ReadonlyMap<string, string>): string[] {
  const names = new Set<string>();
  const segments = segmentsOf(bodies);
  /** Prompts already walked: the longest chain of references below each. */
  const heights = new Map<string, number>();
  const visit = (slug: string, path: string[]): number => {
    if (path.length > MAX_REFERENCE_DEPTH) throw tooDeep(rootSlug);
    let height = 0;
    for (const segment of segments(slug)) {
      if (segment.kind === 'placeholder') names.add(segment.name);
      if (segment.kind !== 'reference') continue;
      if (path.includes(segment.slug) || segment.slug === slug) throw cycle([...path, slug, segment.slug]);
      if (!bodies.has(segment.slug)) continue;
      const below = heights.get(segment.slug) ?? visit(segment.slug, [...path, slug]);
      // A prompt walked before from higher up can still make this chain too deep.
      if (path.length + 1 + below > MAX_REFERENCE_DEPTH) throw tooDeep(rootSlug);
      height = Math.max(height, below + 1);
    }
    heights.set(slug, height);
    return height;
  };
  visit(rootSlug, []);
  return [...names];
}
