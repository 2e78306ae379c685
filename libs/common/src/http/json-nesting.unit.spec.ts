import {
  MAX_JSON_NESTING,
  acceptUtf8CharsetAliases,
  MAX_JSON_OBJECT_MEMBERS,
  jsonShapeProblem,
  refuseNonUtf8,
  refuseUnreadableJson,
} from './json-nesting';

describe('jsonShapeProblem', () => {
  const text = (json: string) => Buffer.from(json);

  it('counts arrays and objects, not brackets inside strings (escaped quotes included)', () => {
    expect(jsonShapeProblem(text('{"a":[{"b":[1]}]}'), 4)).toBeUndefined();
    expect(jsonShapeProblem(text('{"a":[{"b":[[1]]}]}'), 4)).toBe('too_deep');
    expect(jsonShapeProblem(text(JSON.stringify({ text: '[[[[[[[[ "\\" {{{{{{' })), 1)).toBeUndefined();
  });

  it('stops a 2 MiB nest at the limit, and passes a flat 2 MiB body', () => {
    expect(jsonShapeProblem(text(`${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`))).toBe('too_deep');
    expect(jsonShapeProblem(text(`[${'1,'.repeat(1_000_000)}1]`))).toBeUndefined();
    const deepest = `${'['.repeat(MAX_JSON_NESTING)}${']'.repeat(MAX_JSON_NESTING)}`;
    expect(jsonShapeProblem(text(deepest))).toBeUndefined();
    expect(jsonShapeProblem(text(`[${deepest}]`))).toBe('too_deep');
  });

  const object = (members: number, from = 0) =>
    `{${Array.from({ length: members }, (_, i) => `"f${from + i}":1`).join(',')}}`;

  it(`takes objects of up to ${MAX_JSON_OBJECT_MEMBERS} members, at any depth, and refuses one more`, () => {
    expect(jsonShapeProblem(text(object(MAX_JSON_OBJECT_MEMBERS)))).toBeUndefined();
    expect(jsonShapeProblem(text(object(MAX_JSON_OBJECT_MEMBERS + 1)))).toBe('too_many_members');
    const nested = (members: number) => `{"a":1,"metadata":${object(members)},"b":[${object(2)}]}`;
    expect(jsonShapeProblem(text(nested(MAX_JSON_OBJECT_MEMBERS)))).toBeUndefined();
    expect(jsonShapeProblem(text(nested(MAX_JSON_OBJECT_MEMBERS + 1)))).toBe('too_many_members');
  });

  it('counts each object on its own: many objects of many members pass, colons in strings do not count', () => {
    const many = `[${Array.from({ length: 20 }, (_, i) => object(MAX_JSON_OBJECT_MEMBERS - 1, i * MAX_JSON_OBJECT_MEMBERS)).join(',')}]`;
    expect(jsonShapeProblem(text(many))).toBeUndefined();
    // An object's members resume counting after a nested object closes.
    const half = MAX_JSON_OBJECT_MEMBERS / 2;
    const split = `{${object(half).slice(1, -1)},"inner":${object(10)},${object(half, half).slice(1, -1)}}`;
    expect(jsonShapeProblem(text(split))).toBe('too_many_members');
    expect(jsonShapeProblem(text(JSON.stringify({ text: ':'.repeat(5_000) })))).toBeUndefined();
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

describe('acceptUtf8CharsetAliases', () => {
  const after = (type: string | undefined) => {
    const request = { headers: { 'content-type': type } as Record<string, string | undefined> };
    let called = false;
    acceptUtf8CharsetAliases(request, {}, () => (called = true));
    expect(called).toBe(true);
    return request.headers['content-type'];
  };

  it('reads utf8, UTF8, us-ascii and ascii as utf-8, and leaves every other type and charset as sent', () => {
    expect(after('application/json; charset=utf8')).toBe('application/json; charset=utf-8');
    expect(after('application/json;charset="UTF8"')).toBe('application/json; charset=utf-8');
    expect(after('application/json; charset=US-ASCII; x=1')).toBe('application/json; charset=utf-8; x=1');
    expect(after('application/json; charset=ascii')).toBe('application/json; charset=utf-8');
    expect(after('application/json; charset=utf-16')).toBe('application/json; charset=utf-16');
    expect(after('application/json; charset=utf8x')).toBe('application/json; charset=utf8x');
    expect(after('application/json')).toBe('application/json');
    expect(after(undefined)).toBeUndefined();
  });
});
