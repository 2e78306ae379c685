import { createHash } from 'node:crypto';
import { parseImportLine } from './legacy-import.parser';

const hash = '9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08';
const plaintextKey = 'acli_Zq8w3Rt5Yu7Io9Pa2Sd4Fg6H';

const line = (fields: Record<string, unknown>) => JSON.stringify(fields);

function errorOf(text: string): string {
  const sut = parseImportLine(text, 7);
  if (sut?.ok !== false) throw new Error(`expected an error, got ${JSON.stringify(sut)}`);
  expect(sut.line).toBe(7);
  return sut.error;
}

describe('parseImportLine', () => {
  it.each(['', '   ', '\t', '\r'])('skips a blank line %j', (text) => {
    expect(parseImportLine(text, 1)).toBeUndefined();
  });

  it.each([
    ['invalid JSON', '{"email": "a@example.com",', /not valid JSON/],
    ['an array', '[{"email": "a@example.com"}]', /must be a JSON object/],
    ['a bare string', '"a@example.com"', /must be a JSON object/],
    ['null', 'null', /must be a JSON object/],
    [
      'an unknown field',
      line({ email: 'a@example.com', name: 'k', key_sha256: hash, owner: 'x' }),
      /unknown field.*owner/,
    ],
    [
      'an unknown field named by a legacy key, not echoed',
      line({ email: 'a@example.com', name: 'k', key_sha256: hash, aait_0123456789abcdefSECRET: 'x' }),
      /^unknown field\(s\): aait_0123456…\[REDACTED\]$/,
    ],
    ['a missing email', line({ name: 'k', key_sha256: hash }), /email is required/],
    [
      'a NUL in the email (PostgreSQL text cannot hold one)',
      line({ email: 'a\u0000b@example.com', name: 'k', key_sha256: hash }),
      /^email must not contain a NUL character/,
    ],
    [
      'a NUL in the notes',
      line({ email: 'a@example.com', name: 'k', key_sha256: hash, notes: 'x\u0000' }),
      /^notes must not/,
    ],
    ['an email without @', line({ email: 'alice', name: 'k', key_sha256: hash }), /email is required/],
    ['a missing name', line({ email: 'a@example.com', key_sha256: hash }), /name is required/],
    ['a blank name', line({ email: 'a@example.com', name: '  ', key_sha256: hash }), /name is required/],
    ['a name over 255 characters', line({ email: 'a@example.com', name: 'n'.repeat(256), key_sha256: hash }), /name/],
    [
      'both key and key_sha256',
      line({ email: 'a@example.com', name: 'k', key: plaintextKey, key_sha256: hash }),
      /not both/,
    ],
    ['neither key nor key_sha256', line({ email: 'a@example.com', name: 'k' }), /key_sha256.*or key is required/],
    ['a hash that is too short', line({ email: 'a@example.com', name: 'k', key_sha256: hash.slice(1) }), /key_sha256/],
    [
      'a hash with a non-hex character',
      line({ email: 'a@example.com', name: 'k', key_sha256: `${hash.slice(1)}g` }),
      /key_sha256/,
    ],
    [
      'a key that is too short',
      line({ email: 'a@example.com', name: 'k', key: 'acli_short' }),
      /10 characters: a key under 16/,
    ],
    [
      'a key with inner whitespace',
      line({ email: 'a@example.com', name: 'k', key: 'acli_abcdef ghijklmnop' }),
      /whitespace/,
    ],
    ['a key with a quote', line({ email: 'a@example.com', name: 'k', key: 'acli_abcdef"ghijklmnop' }), /quotes/],
    [
      'a key with a non-ASCII character',
      line({ email: 'a@example.com', name: 'k', key: 'acli_abcdéfghijklmnop' }),
      /ASCII/,
    ],
    [
      'a VXK_ key in capitals',
      line({ email: 'a@example.com', name: 'k', key: `VXK_${'AB'.repeat(32)}` }),
      /vxk_ and 64 lower-case hex/,
    ],
    [
      'a vxk_ key of another length',
      line({ email: 'a@example.com', name: 'k', key: `vxk_${'ab'.repeat(15)}` }),
      /vxk_ and 64 lower-case hex/,
    ],
    [
      'a key over 512 characters',
      line({ email: 'a@example.com', name: 'k', key: `acli_${'a'.repeat(508)}` }),
      /at most 512 printable ASCII/,
    ],
    [
      'a bad created_at',
      line({ email: 'a@example.com', name: 'k', key_sha256: hash, created_at: 'yesterday' }),
      /created_at/,
    ],
    [
      'a numeric last_used_at',
      line({ email: 'a@example.com', name: 'k', key_sha256: hash, last_used_at: 1 }),
      /last_used_at/,
    ],
    ['notes that are not a string', line({ email: 'a@example.com', name: 'k', key_sha256: hash, notes: 3 }), /notes/],
    [
      'notes over 2000 characters',
      line({ email: 'a@example.com', name: 'k', key_sha256: hash, notes: 'x'.repeat(2001) }),
      /notes/,
    ],
  ])('rejects %s with a message', (_, text, message) => {
    expect(errorOf(text)).toMatch(message);
  });

  it('accepts an upper-case key_sha256, lower-cases it and shows legacy: + 6 hex', () => {
    expect(parseImportLine(line({ email: ' a@example.com ', name: ' Old CLI ', key_sha256: hash }), 3)).toEqual({
      ok: true,
      value: {
        line: 3,
        email: 'a@example.com',
        key_sha256: hash.toLowerCase(),
        key_prefix: 'legacy:9f86d0',
        name: 'Old CLI',
      },
    });
  });

  it('hashes a plaintext key on arrival and keeps only its first 12 characters', () => {
    const sut = parseImportLine(line({ email: 'a@example.com', name: 'Old CLI', key: ` ${plaintextKey} ` }), 1);

    expect(sut).toEqual({
      ok: true,
      value: {
        line: 1,
        email: 'a@example.com',
        key_sha256: createHash('sha256').update(plaintextKey).digest('hex'),
        key_prefix: plaintextKey.slice(0, 12),
        name: 'Old CLI',
      },
    });
    expect(JSON.stringify(sut)).not.toContain(plaintextKey);
    expect(JSON.stringify(sut)).not.toContain(plaintextKey.slice(0, 13));
  });

  it('names only the field of a plaintext key with a NUL, never the key', () => {
    const sut = parseImportLine(line({ email: 'a@example.com', name: 'k', key: `${plaintextKey}\u0000` }), 1);
    expect(sut).toEqual({ ok: false, line: 1, error: expect.stringMatching(/^key must not contain a NUL character/) });
    expect(JSON.stringify(sut)).not.toContain(plaintextKey.slice(0, 13));
  });

  it('does not echo a plaintext key in its error messages', () => {
    const text = line({ email: 'a@example.com', name: 'k', key: plaintextKey, created_at: 'nope' });
    expect(JSON.stringify(parseImportLine(text, 1))).not.toContain(plaintextKey);
  });

  it('normalises timestamps to ISO 8601 in UTC and keeps notes', () => {
    const sut = parseImportLine(
      line({
        email: 'a@example.com',
        name: 'k',
        key_sha256: hash,
        created_at: '2023-03-04T05:06:07+02:00',
        last_used_at: '2024-12-31T23:59:59Z',
        notes: 'migrated from the old portal',
      }),
      1,
    );
    expect(sut).toMatchObject({
      ok: true,
      value: {
        created_at: '2023-03-04T03:06:07.000Z',
        last_used_at: '2024-12-31T23:59:59.000Z',
        notes: 'migrated from the old portal',
      },
    });
  });

  it('treats null optional fields as absent', () => {
    const sut = parseImportLine(
      line({ email: 'a@example.com', name: 'k', key_sha256: hash, created_at: null, last_used_at: null, notes: null }),
      1,
    );
    expect(sut?.ok).toBe(true);
    if (!sut?.ok) return;
    expect(sut.value).not.toHaveProperty('created_at');
    expect(sut.value).not.toHaveProperty('last_used_at');
    expect(sut.value).not.toHaveProperty('notes');
  });

  // The message promises RFC 3339; Date.parse is far looser and silently invents dates.
  it.each([
    ['a bare number', '1'],
    ['an English date', 'March 7, 2024'],
    ['a day that does not exist', '2024-02-30T00:00:00Z'],
  ])('rejects a created_at that is not RFC 3339: %s', (_, createdAt) => {
    expect(errorOf(line({ email: 'a@example.com', name: 'k', key_sha256: hash, created_at: createdAt }))).toMatch(
      /created_at must be an RFC 3339 timestamp/,
    );
  });

  it('rejects a timestamp in the future, beyond a few minutes of clock skew', () => {
    const now = Date.parse('2026-11-27T12:00:00Z');
    const at = (created_at: string) =>
      parseImportLine(line({ email: 'a@example.com', name: 'k', key_sha256: hash, created_at }), 1, now);
    expect(at('2099-01-01T00:00:00Z')).toEqual({ ok: false, line: 1, error: 'created_at must not be in the future' });
    expect(at('2026-11-27T12:04:00Z')?.ok).toBe(true);
    const used = parseImportLine(
      line({ email: 'a@example.com', name: 'k', key_sha256: hash, last_used_at: '2026-11-28T00:00:00Z' }),
      1,
      now,
    );
    expect(used).toEqual({ ok: false, line: 1, error: 'last_used_at must not be in the future' });
  });

  it('rejects a name with a control character or a bidirectional control', () => {
    for (const name of ['two\nlines', 'gnp.\u202Eexe'])
      expect(errorOf(line({ email: 'a@example.com', name, key_sha256: hash }))).toMatch(/bidirectional controls/);
  });

  it('masks a whole vxk_ key pasted into a name or the notes, as any stored text', () => {
    const pasted = `vxk_${'9f'.repeat(32)}`;
    const sut = parseImportLine(
      line({ email: 'a@example.com', name: `old ${pasted}`, key_sha256: hash, notes: `was ${pasted}` }),
      1,
    );
    expect(sut).toMatchObject({
      ok: true,
      value: { name: 'old vxk_9f9f9f9f…[REDACTED]', notes: 'was vxk_9f9f9f9f…[REDACTED]' },
    });
  });

  it('masks the line’s own plaintext key wherever its name or notes repeat it, whatever its shape', () => {
    const key = 'ak_live_f5402230c51f0a7d141355090bfd50ad';
    const sut = parseImportLine(
      line({ email: 'a@example.com', name: `old ${key}`, key, notes: `was ${key}, then ${key}` }),
      1,
    );
    expect(sut).toMatchObject({
      ok: true,
      value: {
        key_prefix: 'ak_live_f540',
        name: 'old ak_live_f540…[REDACTED]',
        notes: 'was ak_live_f540…[REDACTED], then ak_live_f540…[REDACTED]',
      },
    });
    expect(JSON.stringify(sut)).not.toContain(key);
  });
});
