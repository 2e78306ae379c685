import { MAX_JSON_NESTING, nestsDeeperThan, refuseNonUtf8, refuseUnreadableJson } from './json-nesting';

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

describe('refuseUnreadableJson and refuseNonUtf8', () => {
  const bytes = (text: string, encoding: BufferEncoding = 'utf8') => Buffer.from(text, encoding);
  const refusal = (check: () => void) => {
    try {
      check();
      return undefined;
    } catch (error) {
      return (error as { type: string }).type;
    }
  };

  it('refuses bytes that are not UTF-8 in a UTF-8 body, and takes UTF-8 of any script', () => {
    expect(refusal(() => refuseUnreadableJson({}, {}, bytes('{"a":"caf\xe9"}', 'latin1'), 'utf-8'))).toBe(
      'entity.not.utf8',
    );
    expect(refusal(() => refuseNonUtf8({}, {}, bytes('caf\xe9', 'latin1'), 'utf-8'))).toBe('entity.not.utf8');
    expect(refusal(() => refuseUnreadableJson({}, {}, bytes('{"a":"café ☕ 👨‍👩‍👧"}'), 'utf-8'))).toBeUndefined();
  });

  it('leaves a body in another declared charset to its decoder', () => {
    expect(refusal(() => refuseNonUtf8({}, {}, bytes('caf\xe9', 'latin1'), 'iso-8859-1'))).toBeUndefined();
  });

  it('refuses a JSON body in another charset (UTF-16 would slip past the byte scan)', () => {
    const utf16 = Buffer.from(`{"a":"\u4e22"${'['.repeat(100)}`, 'utf16le');
    expect(refusal(() => refuseUnreadableJson({}, {}, utf16, 'utf-16le'))).toBe('charset.unsupported');
  });

  it('refuses a JSON body nested too deep', () => {
    expect(refusal(() => refuseUnreadableJson({}, {}, bytes('['.repeat(100)), 'utf-8'))).toBe('entity.too.deep');
  });
});
