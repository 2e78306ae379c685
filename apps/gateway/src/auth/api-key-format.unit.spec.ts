import { createHash, randomBytes } from 'node:crypto';
import { generateApiKey, parseAuthorization, type ParsedAuthorization, sha256Hex } from './api-key-format';

const validKey = `vxk_${'0123456789abcdef'.repeat(4)}`;
const legacyCli = `acli_${'A1b2C3d4E5'.repeat(3)}`;
const legacyMcpHyphen = `amcp-${'Zz09Yy18Xx'.repeat(3)}`;

function malformedDetail(result: ParsedAuthorization): string {
  if (result.kind !== 'malformed') throw new Error(`expected a malformed result, got ${JSON.stringify(result)}`);
  return result.detail;
}

describe('parseAuthorization', () => {
  it('reports a missing header', () => {
    expect(parseAuthorization(undefined)).toEqual({ kind: 'missing' });
  });

  it.each([
    ['an empty header', '', /header is empty/],
    ['a blank header', '   ', /header is empty/],
    ['the scheme word alone', 'Bearer', /token is empty/],
    ['the scheme word and a space', 'Bearer ', /token is empty/],
    ['the scheme word and several spaces', 'Bearer     ', /token is empty/],
    ['another scheme', 'Basic abc', /uses the Basic scheme/],
    ['a quoted token', `Bearer "${validKey}"`, /quote character/],
    ['a single-quoted token', `Bearer '${validKey}'`, /quote character/],
    ['a backtick-quoted token', `Bearer \`${validKey}\``, /quote character/],
    ['an inner space', `Bearer ${validKey.slice(0, 30)} ${validKey.slice(30)}`, /whitespace/],
    ['an inner tab', `Bearer ${validKey.slice(0, 30)}\t${validKey.slice(30)}`, /whitespace/],
    ['a non-ASCII character', `Bearer ${validKey.slice(0, 30)}é${validKey.slice(31)}`, /not printable ASCII/],
    ['a NUL character', `Bearer ${validKey.slice(0, 30)}\u0000${validKey.slice(31)}`, /not printable ASCII/],
    ['a 10 KB token', `Bearer ${'a'.repeat(10 * 1024)}`, /10240 characters long/],
    ['a vxk_ key with 63 hex characters', `Bearer ${validKey.slice(0, -1)}`, /63 characters after the prefix/],
    ['a vxk_ key with 65 hex characters', `Bearer ${validKey}0`, /65 characters after the prefix/],
    ['a vxk_ key with upper-case hex', `Bearer ${validKey.toUpperCase().replace('VXK_', 'vxk_')}`, /upper-case/],
    ['an upper-case VXK_ key', `Bearer ${validKey.toUpperCase()}`, /upper-case/],
    [
      'a vxk_ key of the right length with letters beyond f',
      `Bearer vxk_${'z'.repeat(64)}`,
      /64 characters after the prefix, some of them not hex/,
    ],
  ])('rejects %s as malformed', (_, header, detail) => {
    expect(malformedDetail(parseAuthorization(header))).toMatch(detail);
  });

  it.each([
    ['Bearer', validKey, 'vxk_01234567'],
    ['bearer', validKey, 'vxk_01234567'],
    ['BEARER', validKey, 'vxk_01234567'],
    ['Bearer', legacyCli, legacyCli.slice(0, 12)],
    ['Bearer', legacyMcpHyphen, legacyMcpHyphen.slice(0, 12)],
    ['Bearer', 'sometoken1234567890', ''],
    // Legacy keys of any printable shape go to the lookup (PRODUCT.md §3.1), as the import takes them.
    ['Bearer', 'ak_abcde', ''],
    ['Bearer', `${legacyCli.slice(0, 20)}.x+/=~`, legacyCli.slice(0, 12)],
    ['Bearer', 'amkt_0123456789.abcdef', 'amkt_0123456'],
  ])('accepts "%s %s" as a token with display prefix %j', (scheme, token, keyPrefix) => {
    expect(parseAuthorization(`${scheme} ${token}`)).toEqual({ kind: 'token', token, keyPrefix });
  });

  it('ignores surrounding whitespace and extra spaces after the scheme', () => {
    expect(parseAuthorization(`  Bearer   ${validKey}  `)).toEqual({
      kind: 'token',
      token: validKey,
      keyPrefix: 'vxk_01234567',
    });
  });

  it.each([
    ['trailing garbage', 'vxk_0123abcdzz', 'vxk_0123abcd'],
    ['a quote after the prefix', 'vxk_0123abcd"', 'vxk_0123abcd'],
    ['an inner space after the prefix', `vxk_0123abcd ${'0'.repeat(56)}`, 'vxk_0123abcd'],
    ['a quote in a legacy key', `${legacyCli.slice(0, 20)}"x`, legacyCli.slice(0, 12)],
  ])('keeps the readable display prefix of a malformed key with %s', (_, token, keyPrefix) => {
    expect(parseAuthorization(`Bearer ${token}`)).toMatchObject({ kind: 'malformed', keyPrefix });
  });

  it.each([
    ['a quoted key', `"${validKey}"`],
    ['an upper-case VXK_ key', validKey.toUpperCase()],
    ['a short legacy key with a quote', 'ak_ab"cde'],
  ])('gives no display prefix for %s, whose prefix cannot be read safely', (_, token) => {
    const sut = parseAuthorization(`Bearer ${token}`);
    expect(sut.kind).toBe('malformed');
    expect(sut).not.toHaveProperty('keyPrefix');
  });

  // PRODUCT.md §1: no secret ever appears in an error body; only the display prefix (12 characters) may travel.
  it.each([
    ['a vxk_ key sent without the scheme word', validKey, validKey],
    ['a vxk_ key separated from the scheme by a tab', `Bearer\t${validKey}`, validKey],
    ['a 20-character legacy key sent without the scheme word', 'ak_0123456789abcdefg', 'ak_0123456789abcdefg'],
  ])('never echoes more of the key than its display prefix: %s', (_, header, key) => {
    const detail = malformedDetail(parseAuthorization(header));
    expect(detail).not.toContain(key.slice(0, 13));
  });
});

describe('sha256Hex', () => {
  it.each(['', 'abc', validKey, 'ünïcödé'])('matches node:crypto for %j', (value) => {
    expect(sha256Hex(value)).toBe(createHash('sha256').update(value).digest('hex'));
  });
});

describe('generateApiKey', () => {
  it('builds vxk_ + 64 lowercase hex from 32 random bytes, with its hash and display prefix', () => {
    const sizes: number[] = [];
    const random = (size: number) => {
      sizes.push(size);
      return Buffer.from(Array.from({ length: size }, (_, index) => (index * 37 + 171) % 256));
    };

    const sut = generateApiKey(random);

    expect(sizes).toEqual([32]);
    expect(sut.fullKey).toMatch(/^vxk_[0-9a-f]{64}$/);
    expect(sut.fullKey).toBe(`vxk_${random(32).toString('hex')}`);
    expect(sut.hash).toBe(sha256Hex(sut.fullKey));
    expect(sut.prefix).toBe(sut.fullKey.slice(0, 12));
    expect(parseAuthorization(`Bearer ${sut.fullKey}`)).toEqual({
      kind: 'token',
      token: sut.fullKey,
      keyPrefix: sut.prefix,
    });
  });

  it('produces a different key on every call with the real random source', () => {
    const first = generateApiKey();
    const second = generateApiKey(randomBytes);
    expect(first.fullKey).toMatch(/^vxk_[0-9a-f]{64}$/);
    expect(second.fullKey).not.toBe(first.fullKey);
    expect(second.hash).not.toBe(first.hash);
  });
});
