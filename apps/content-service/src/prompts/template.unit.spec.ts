import { DomainError, RpcErrorCode } from '#contracts';
import {
  MAX_REFERENCE_DEPTH,
  MAX_REFERENCE_EXPANSIONS,
  MAX_RENDERED_LENGTH,
  MAX_SEGMENTS_VISITED,
  placeholdersOf,
  referencedSlugs,
  render,
  tokenize,
} from './template';

function bodiesOf(entries: Record<string, string>): Map<string, string> {
  return new Map(Object.entries(entries));
}

/** p0 → p1 → … → p(n-1); the last one is plain text. */
function chain(length: number): Map<string, string> {
  const bodies = new Map<string, string>();
  for (let i = 0; i < length; i++) bodies.set(`p${i}`, i === length - 1 ? `end ${i}` : `${i} @p${i + 1}`);
  return bodies;
}

function domainErrorOf(act: () => unknown): DomainError {
  try {
    act();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw new Error(`expected a DomainError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected a DomainError, nothing was thrown');
}

describe('tokenize', () => {
  it('splits a body into text, placeholders and references', () => {
    expect(tokenize('Hi {{name}}, see @intro.')).toEqual([
      { kind: 'text', text: 'Hi ' },
      { kind: 'placeholder', name: 'name', raw: '{{name}}' },
      { kind: 'text', text: ', see ' },
      { kind: 'reference', slug: 'intro', raw: '@intro' },
      { kind: 'text', text: '.' },
    ]);
  });

  it('reads a placeholder written with spaces inside the braces', () => {
    expect(tokenize('{{ name }}')).toEqual([{ kind: 'placeholder', name: 'name', raw: '{{ name }}' }]);
  });

  it('returns no segment for an empty body', () => {
    expect(tokenize('')).toEqual([]);
  });

  it.each([
    ['an unclosed placeholder', 'Hello {{name'],
    ['a placeholder name starting with a digit', 'Hello {{1bad}}'],
    ['an e-mail address', 'write to ada@example.com'],
    ['an upper-case word after @', 'hello @Intro'],
  ])('keeps %s as plain text', (_, body) => {
    const segments = tokenize(body);
    expect(segments.every((segment) => segment.kind === 'text')).toBe(true);
    expect(segments.map((segment) => (segment.kind === 'text' ? segment.text : '')).join('')).toBe(body);
  });

  it('turns @@ into a literal @ and does not read @@slug as a reference', () => {
    const segments = tokenize('mail @@intro');
    expect(segments.some((segment) => segment.kind === 'reference')).toBe(false);
    expect(segments.map((segment) => (segment.kind === 'text' ? segment.text : '')).join('')).toBe('mail @intro');
  });
});

describe('referencedSlugs', () => {
  it.each([
    ['no reference', 'plain text', []],
    ['one reference', 'see @intro', ['intro']],
    ['references in order, each once', '@b then @a then @b again', ['b', 'a']],
    ['a reference at the very start', '@intro is first', ['intro']],
    ['a reference after punctuation', '(@intro)', ['intro']],
    ['an escaped @@slug', 'literally @@intro', []],
    ['an e-mail address', 'ada@example.com', []],
    ['a placeholder only', '{{intro}}', []],
  ])('finds %s', (_, body, expected) => {
    expect(referencedSlugs(body)).toEqual(expected);
  });
});

describe('render', () => {
  it('substitutes placeholder values', () => {
    const sut = render('root', bodiesOf({ root: 'Hello {{name}}, you write {{ language }}.' }), {
      name: 'Ada',
      language: 'TypeScript',
    });
    expect(sut).toEqual({
      rendered_body: 'Hello Ada, you write TypeScript.',
      placeholders: ['name', 'language'],
      placeholders_missing: [],
      references_used: [],
      warnings: [],
    });
  });

  it('keeps a missing placeholder as {{name}} and lists it once', () => {
    const sut = render('root', bodiesOf({ root: '{{name}} and {{ name }} and {{other}}' }), { other: 'x' });
    expect(sut.rendered_body).toBe('{{name}} and {{ name }} and x');
    expect(sut.placeholders_missing).toEqual(['name']);
    expect(sut.placeholders).toEqual(['name', 'other']);
  });

  it('renders with no values at all', () => {
    const sut = render('root', bodiesOf({ root: 'Hi {{name}}' }));
    expect(sut.rendered_body).toBe('Hi {{name}}');
    expect(sut.placeholders_missing).toEqual(['name']);
  });

  it('expands references recursively, three levels deep', () => {
    const sut = render('a', bodiesOf({ a: 'A[@b]', b: 'B[@c]', c: 'C[@d]', d: 'D' }));
    expect(sut.rendered_body).toBe('A[B[C[D]]]');
    expect(sut.references_used).toEqual(['b', 'c', 'd']);
    expect(sut.warnings).toEqual([]);
  });

  it('lists each used reference once, in order of first use', () => {
    const sut = render('root', bodiesOf({ root: '@y @x @y @x', x: 'X', y: 'Y' }));
    expect(sut.rendered_body).toBe('Y X Y X');
    expect(sut.references_used).toEqual(['y', 'x']);
  });

  it('reports placeholders found in referenced prompts', () => {
    const sut = render('root', bodiesOf({ root: '{{a}} @child', child: '{{b}} @leaf', leaf: '{{c}}' }), { b: 'B' });
    expect(sut.placeholders).toEqual(['a', 'b', 'c']);
    expect(sut.placeholders_missing).toEqual(['a', 'c']);
    expect(sut.rendered_body).toBe('{{a}} B {{c}}');
  });

  it('turns @@ into a literal @ and does not expand @@slug', () => {
    const sut = render('root', bodiesOf({ root: 'mention @@intro, not @intro', intro: 'INTRO' }));
    expect(sut.rendered_body).toBe('mention @intro, not INTRO');
    expect(sut.references_used).toEqual(['intro']);
  });

  it('keeps an e-mail address as plain text even when a prompt has its domain as slug', () => {
    const sut = render('root', bodiesOf({ root: 'write to ada@example.com', example: 'EXAMPLE' }));
    expect(sut.rendered_body).toBe('write to ada@example.com');
    expect(sut.references_used).toEqual([]);
    expect(sut.warnings).toEqual([]);
  });

  it('leaves an unknown reference as it is, with a warning', () => {
    const sut = render('root', bodiesOf({ root: 'see @missing and @missing' }));
    expect(sut.rendered_body).toBe('see @missing and @missing');
    expect(sut.references_used).toEqual([]);
    expect(sut.warnings).toHaveLength(1);
    expect(sut.warnings[0]).toContain('@missing');
  });

  it.each([
    ['an unclosed placeholder', 'Hello {{name'],
    ['a placeholder name starting with a digit', 'Hello {{1bad}}'],
    ['an empty placeholder', 'Hello {{}}'],
  ])('keeps %s as plain text', (_, body) => {
    const sut = render('root', bodiesOf({ root: body }), { name: 'Ada', '1bad': 'x' });
    expect(sut.rendered_body).toBe(body);
    expect(sut.placeholders).toEqual([]);
    expect(sut.placeholders_missing).toEqual([]);
  });

  it.each([
    ['a placeholder', '{{other}}'],
    ['a reference', '@intro'],
    ['an escaped @', '@@'],
  ])('does not re-expand %s inside a value', (_, value) => {
    const sut = render('root', bodiesOf({ root: 'Value: {{v}}', intro: 'INTRO' }), { v: value, other: 'OTHER' });
    expect(sut.rendered_body).toBe(`Value: ${value}`);
    expect(sut.references_used).toEqual([]);
    expect(sut.placeholders).toEqual(['v']);
  });

  it('refuses a direct self-reference with TEMPLATE_CYCLE', () => {
    const error = domainErrorOf(() => render('a', bodiesOf({ a: 'me: @a' })));
    expect(error.code).toBe(RpcErrorCode.TemplateCycle);
  });

  it('refuses an indirect cycle a → b → a with TEMPLATE_CYCLE', () => {
    const error = domainErrorOf(() => render('a', bodiesOf({ a: 'A @b', b: 'B @a' })));
    expect(error.code).toBe(RpcErrorCode.TemplateCycle);
  });

  it('refuses a longer cycle a → b → c → a with TEMPLATE_CYCLE', () => {
    const error = domainErrorOf(() => render('a', bodiesOf({ a: '@b', b: '@c', c: '@a' })));
    expect(error.code).toBe(RpcErrorCode.TemplateCycle);
  });

  it('refuses a cycle below the root (a → b → c → b) with TEMPLATE_CYCLE', () => {
    const error = domainErrorOf(() => render('a', bodiesOf({ a: '@b', b: '@c', c: '@b' })));
    expect(error.code).toBe(RpcErrorCode.TemplateCycle);
  });

  it('does not take a diamond (a → b, a → c, b → d, c → d) for a cycle', () => {
    const sut = render('a', bodiesOf({ a: '@b+@c', b: 'b(@d)', c: 'c(@d)', d: 'D' }));
    expect(sut.rendered_body).toBe('b(D)+c(D)');
    expect(sut.references_used).toEqual(['b', 'd', 'c']);
  });

  it('renders a chain of 20 prompts', () => {
    const sut = render('p0', chain(20));
    expect(sut.rendered_body).toBe(`${Array.from({ length: 19 }, (_, i) => `${i} `).join('')}end 19`);
    expect(sut.references_used).toEqual(Array.from({ length: 19 }, (_, i) => `p${i + 1}`));
  });

  it('refuses a chain of 100 prompts with TEMPLATE_TOO_DEEP', () => {
    const error = domainErrorOf(() => render('p0', chain(100)));
    expect(error.code).toBe(RpcErrorCode.TemplateTooDeep);
  });
});

/** l0 includes l1 `fanOut` times, l1 includes l2 `fanOut` times, … down to a plain leaf. */
function fanning(levels: number, fanOut: number, leaf: string): Map<string, string> {
  const bodies = new Map<string, string>([[`l${levels}`, leaf]]);
  for (let level = levels - 1; level >= 0; level -= 1)
    bodies.set(`l${level}`, Array.from({ length: fanOut }, () => `@l${level + 1}`).join(' '));
  return bodies;
}

describe('render: size limits', () => {
  it('refuses prompts that multiply each other (10 × 10 × … of a 1,000-character leaf) before building the result', () => {
    // 10^8 copies would be 100 GB: without the limit this test runs out of memory.
    const error = domainErrorOf(() => render('l0', fanning(8, 10, 'L'.repeat(1_000))));
    expect(error.code).toBe(RpcErrorCode.TemplateTooLarge);
    expect(error.message).toContain('longer than 1,000,000 characters (from @l0)');
  });

  it('refuses a placeholder value repeated past the limit', () => {
    const error = domainErrorOf(() =>
      render('root', bodiesOf({ root: '{{v}}'.repeat(20_000) }), { v: 'x'.repeat(100) }),
    );
    expect(error.code).toBe(RpcErrorCode.TemplateTooLarge);
  });

  it('refuses more reference expansions than the limit, even when they produce little text', () => {
    const error = domainErrorOf(() => render('l0', fanning(2, 101, 'x')));
    expect(error.code).toBe(RpcErrorCode.TemplateTooLarge);
    expect(error.message).toContain(`more than ${MAX_REFERENCE_EXPANSIONS.toLocaleString('en')} references`);
  });

  it('refuses work past the limit of steps even when it emits nothing (empty values included many times)', () => {
    const bodies = bodiesOf({
      x: '{{a}}'.repeat(20_000),
      root: Array.from({ length: 100 }, () => '@x').join(' '),
    });
    const error = domainErrorOf(() => render('root', bodies, { a: '' }));
    expect(error.code).toBe(RpcErrorCode.TemplateTooLarge);
    expect(error.message).toContain(`more than ${MAX_SEGMENTS_VISITED.toLocaleString('en')} steps`);
    // Listing the placeholders walks each prompt once: cheap, and answered.
    expect(placeholdersOf('root', bodies)).toEqual(['a']);
  });

  it('renders a result of exactly the limit, and up to the limit of expansions', () => {
    const exact = render('root', bodiesOf({ root: '{{v}}' }), { v: 'y'.repeat(MAX_RENDERED_LENGTH) });
    expect(exact.rendered_body).toHaveLength(MAX_RENDERED_LENGTH);
    // 100 + 100 × 99 = 10,000 expansions.
    const many = render('l0', fanning(2, 100, 'x').set('l1', Array.from({ length: 99 }, () => '@l2').join(' ')));
    expect(many.rendered_body).toContain('x x');
  });
});

describe('reserved names', () => {
  it('keeps {{constructor}}, {{prototype}} and {{__proto__}} as text: no request can give them a value', () => {
    const sut = render('root', bodiesOf({ root: '{{constructor}} {{ prototype }} {{__proto__}} {{name}}' }), {
      name: 'N',
    });
    expect(sut.rendered_body).toBe('{{constructor}} {{ prototype }} {{__proto__}} N');
    expect([sut.placeholders, sut.placeholders_missing]).toEqual([['name'], []]);
  });
});

describe('placeholdersOf', () => {
  it.each([
    ['references in order of first use', 'a', { a: '{{one}} @b {{two}} @c', b: '{{three}} @c', c: '{{four}} {{one}}' }],
    ['a diamond', 'a', { a: '@b+@c', b: 'b{{x}}(@d)', c: 'c{{y}}(@d)', d: '{{z}}' }],
    ['an unknown reference', 'a', { a: '{{p}} @nowhere {{q}}' }],
    ['a chain of 20', 'p0', Object.fromEntries(chain(20))],
  ])('lists what render lists: %s', (_, root, bodies) => {
    expect(placeholdersOf(root, bodiesOf(bodies))).toEqual(render(root, bodiesOf(bodies)).placeholders);
  });

  it('lists the placeholders of prompts that multiply each other without expanding them', () => {
    const bodies = fanning(8, 10, '{{name}} and {{other}}');
    bodies.set('l3', `{{top}} ${bodies.get('l3')}`);
    expect(placeholdersOf('l0', bodies)).toEqual(['top', 'name', 'other']);
  });

  it.each([
    ['a self-reference', 'a', { a: 'me: @a' }],
    ['a cycle below the root', 'a', { a: '@b', b: '@c', c: '@b' }],
    ['a cycle through a prompt walked before', 'a', { a: '@b @c', b: '@d', c: '@d', d: '@c' }],
  ])('refuses %s with TEMPLATE_CYCLE, as render does', (_, root, bodies) => {
    expect(domainErrorOf(() => placeholdersOf(root, bodiesOf(bodies))).code).toBe(RpcErrorCode.TemplateCycle);
    expect(domainErrorOf(() => render(root, bodiesOf(bodies))).code).toBe(RpcErrorCode.TemplateCycle);
  });

  it('refuses a chain one deeper than the limit, also when its lower part was walked before from higher up', () => {
    const limit = chain(MAX_REFERENCE_DEPTH + 1);
    expect(placeholdersOf('p0', limit)).toEqual([]);
    expect(render('p0', limit).rendered_body).toContain('end');
    const over = chain(MAX_REFERENCE_DEPTH + 2);
    expect(domainErrorOf(() => placeholdersOf('p0', over)).code).toBe(RpcErrorCode.TemplateTooDeep);
    expect(domainErrorOf(() => render('p0', over)).code).toBe(RpcErrorCode.TemplateTooDeep);
    // The root reaches p2 directly first (shallow), then through p1 (one level deeper).
    over.set('p0', '@p2 @p1');
    expect(domainErrorOf(() => placeholdersOf('p0', over)).code).toBe(RpcErrorCode.TemplateTooDeep);
    expect(domainErrorOf(() => render('p0', over)).code).toBe(RpcErrorCode.TemplateTooDeep);
  });
});
