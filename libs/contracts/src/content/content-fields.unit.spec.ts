import {
  isValidProject,
  MAX_ARTIFACT_CONTENT_BYTES,
  MAX_METADATA_BYTES,
  SLUG_PATTERN,
  slugify,
} from './content-fields';

describe('slugify', () => {
  it.each([
    ['lower-cases words joined by dashes', 'Code Review', 'code-review'],
    ['strips accents', 'Café Crème brûlée', 'cafe-creme-brulee'],
    ['turns punctuation into one dash', 'Hello, World! (v2)', 'hello-world-v2'],
    ['collapses runs of separators', 'a  --__ b', 'a-b'],
    ['drops leading and trailing dashes', '--- Hello ---', 'hello'],
    ['drops leading and trailing punctuation', '¿¡Qué tal!?', 'que-tal'],
    ['keeps digits', 'Release 2026.01', 'release-2026-01'],
    ['keeps an already valid slug', 'already-a-slug', 'already-a-slug'],
  ])('%s', (_, text, expected) => {
    expect(slugify(text, 'fallback')).toBe(expected);
  });

  it.each([
    ['an empty text', ''],
    ['blanks', '   '],
    ['punctuation only', '!!! ??? ---'],
    ['a non-Latin script', '日本語'],
  ])('falls back for %s', (_, text) => {
    expect(slugify(text, 'untitled')).toBe('untitled');
  });

  it.each([
    ['one long word', 'a'.repeat(300)],
    ['many words', 'word '.repeat(100)],
    ['a dash falling at the cut', `${'a'.repeat(199)} ${'b'.repeat(50)}`],
  ])('keeps at most 200 characters for %s, still a valid slug', (_, text) => {
    const sut = slugify(text, 'fallback');
    expect(sut.length).toBeLessThanOrEqual(200);
    expect(sut.length).toBeGreaterThan(0);
    expect(sut).toMatch(SLUG_PATTERN);
  });
});

describe('isValidProject', () => {
  it.each([
    ['x'],
    ['my-app'],
    ['my-app/backend'],
    ['a/b/c/d/e'],
    ['My.App_v2'],
    ['v1.2.3'],
    ['.hidden'],
    ['x'.repeat(80)],
    [`${'a'.repeat(39)}/${'b'.repeat(40)}`],
  ])('accepts %p', (value) => {
    expect(isValidProject(value)).toBe(true);
  });

  it.each([
    [''],
    ['x'.repeat(81)],
    ['/my-app'],
    ['my-app/'],
    ['my-app//backend'],
    ['.'],
    ['..'],
    ['a/./b'],
    ['a/../b'],
    ['../a'],
    ['my app'],
    ['my-app%2Fbackend'],
    ['my-app\\backend'],
    ['café'],
    [42],
    [null],
    [undefined],
    [['my-app']],
  ])('refuses %p', (value) => {
    expect(isValidProject(value)).toBe(false);
  });
});

describe('limits', () => {
  it('sets 16 KiB for metadata and 1 MiB for artifact content', () => {
    expect(MAX_METADATA_BYTES).toBe(16_384);
    expect(MAX_ARTIFACT_CONTENT_BYTES).toBe(1_048_576);
  });
});
