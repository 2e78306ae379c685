import { MAX_JSON_NESTING, nestsDeeperThan } from './json-nesting';

describe('nestsDeeperThan', () => {
  const text = (json: string) => Buffer.from(json);

  it('counts arrays and objects, not brackets inside strings (escaped quotes included)', () => {
    expect(nestsDeeperThan(text('{"a":[{"b":[1]}]}'), 4)).toBe(false);
    expect(nestsDeeperThan(text('{"a":[{"b":[[1]]}]}'), 4)).toBe(true);
    expect(nestsDeeperThan(text(JSON.stringify({ text: '[[[[[[[[ "\\" {{{{{{' })), 1)).toBe(false);
  });

  it('stops a 2 MiB nest at the limit, and passes a flat 2 MiB body', () => {
    expect(nestsDeeperThan(text(`${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`), MAX_JSON_NESTING)).toBe(true);
    expect(nestsDeeperThan(text(`[${'1,'.repeat(1_000_000)}1]`), MAX_JSON_NESTING)).toBe(false);
    const deepest = `${'['.repeat(MAX_JSON_NESTING)}${']'.repeat(MAX_JSON_NESTING)}`;
    expect(nestsDeeperThan(text(deepest), MAX_JSON_NESTING)).toBe(false);
    expect(nestsDeeperThan(text(`[${deepest}]`), MAX_JSON_NESTING)).toBe(true);
  });
});
