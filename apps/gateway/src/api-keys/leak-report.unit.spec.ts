import { readLeakReport } from './leak-report.controller';

const KEY = `vxk_${'ab'.repeat(32)}`;

describe('a leak report’s body (PRODUCT.md §11: always 202)', () => {
  it('takes the token, trimmed, and a plain http(s) source', () => {
    expect(readLeakReport({ token: ` ${KEY}\n`, source_url: 'https://gist.example.com/x' })).toEqual({
      token: KEY,
      source_url: 'https://gist.example.com/x',
    });
    // Fields a scanner adds are ignored, not refused.
    expect(readLeakReport({ token: KEY, type: 'vibexp_api_key', url: 'https://x.example' })).toEqual({ token: KEY });
  });

  it('keeps the token but leaves out a source that is no plain http(s) URL of at most 512 characters', () => {
    for (const source_url of [
      'javascript:alert(1)',
      'ftp://files.example.com/k',
      'https://me:pw@example.com/k',
      'git@github.com:someone/repo.git',
      `https://example.com/${'a'.repeat(500)}`,
      42,
    ])
      expect(readLeakReport({ token: KEY, source_url })).toEqual({ token: KEY });
  });

  it('finds no token in a body that has none, as a string', () => {
    for (const body of [undefined, null, 'token', [{ token: KEY }], {}, { token: 5 }, { token: 'x'.repeat(1025) }])
      expect(readLeakReport(body)).toBeUndefined();
  });
});
