import { DomainError, RpcErrorCode } from '#contracts';
import { referencedSlugs, render, tokenize } from './template';

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
