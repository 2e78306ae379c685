import { BlockList } from 'node:net';
import type { Request } from 'express';
import { redirectUriRegistered } from '#contracts';
import {
  bearerToken,
  parseScopes,
  publicOrigin,
  readParams,
  redirectUriProblem,
  s256,
  sameResource,
  throttleKey,
  withQuery,
} from './oauth-protocol';

describe('OAuth protocol helpers', () => {
  it('computes S256 as RFC 7636 appendix B does', () => {
    expect(s256('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  it.each([
    ['https://app.example.com/cb', null],
    ['http://localhost:8080/cb', null],
    ['http://127.0.0.1/cb', null],
    ['http://[::1]:9/cb', null],
    ['cursor://anysphere.cursor-mcp/oauth/callback', null],
    ['com.example.app:/oauth2redirect', null],
    ['http://example.com/cb', 'must use https'],
    ['http://127.0.0.1.evil.com/cb', 'must use https'],
    ['https://app.example.com/cb#x', 'fragment'],
    ['https://app.example.com/cb#', 'fragment'],
    ['https://u:p@app.example.com/cb', 'credentials'],
    ['javascript:alert(1)', 'javascript:'],
    ['data:text/html,x', 'data:'],
    ['file:///etc/passwd', 'file:'],
    ['/relative', 'absolute'],
    ['https://app.example.com/c b', 'spaces'],
    ['https://app.example.com/\u0007', 'control'],
    [`https://app.example.com/${'a'.repeat(2000)}`, 'longer'],
  ])('redirect URI %s → %s', (uri, problem) => {
    const found = redirectUriProblem(uri);
    if (problem === null) expect(found).toBeNull();
    else expect(found).toContain(problem);
  });

  it('reads scopes: every scope by default, duplicates once, unknown ones refused', () => {
    expect(parseScopes(undefined)).toEqual(['content:read', 'content:write']);
    expect(parseScopes('  ')).toEqual(['content:read', 'content:write']);
    expect(parseScopes('content:read content:read')).toEqual(['content:read']);
    expect(parseScopes('content:read admin')).toBeNull();
  });

  it('reads parameters once each, as strings', () => {
    expect(readParams({ a: 'x', b: 'y', c: 'z' }, ['a', 'b'] as const)).toEqual({ params: { a: 'x', b: 'y' } });
    expect(readParams({ a: ['x', 'y'] }, ['a'] as const)).toEqual({ repeated: 'a' });
    expect(readParams({ a: 1 }, ['a'] as const)).toEqual({ notString: 'a' });
    expect(readParams(undefined, ['a'] as const)).toEqual({ params: {} });
    expect(readParams(JSON.parse('{"__proto__": {"a": "x"}}'), ['a'] as const)).toEqual({ params: {} });
  });

  it('adds parameters to a redirect URI, keeping its own query and leaving out absent ones', () => {
    expect(withQuery('http://127.0.0.1:9/cb?app=1', { code: 'a b', state: undefined })).toBe(
      'http://127.0.0.1:9/cb?app=1&code=a+b',
    );
  });

  it('reads the Bearer token, whatever the case of the scheme', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer abc')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken('Bearer a b')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });

  it('normalizes the origin as clients do, so their resource compares equal to ours', () => {
    const request = (host: string) =>
      ({ headers: { host }, socket: { remoteAddress: '127.0.0.1' } }) as unknown as Request;
    expect(publicOrigin(request('ignored'), new BlockList(), 'https://Connect.Example.com:443')).toBe(
      'https://connect.example.com',
    );
    expect(publicOrigin(request('LOCALHOST:3990'), new BlockList(), undefined)).toBe('http://localhost:3990');
    expect(publicOrigin(request('evil"host'), new BlockList(), undefined)).toBe('http://localhost');
    expect(sameResource('HTTP://LOCALHOST:80/mcp/v1/common', 'http://localhost/mcp/v1/common')).toBe(true);
    // The endpoint answers at both: a client configured with the slash sends it.
    expect(sameResource('http://localhost/mcp/v1/common/', 'http://localhost/mcp/v1/common')).toBe(true);
    expect(sameResource('http://localhost/mcp/v1/commons', 'http://localhost/mcp/v1/common')).toBe(false);
    expect(sameResource('not a url', 'not a url')).toBe(false);
  });

  it('matches a loopback redirect URI on any port, everything else exactly', () => {
    const registered = ['http://127.0.0.1:9/callback', 'https://app.example.com/cb', 'http://localhost/cb?x=1'];
    expect(redirectUriRegistered(registered, 'http://127.0.0.1:9/callback')).toBe(true);
    expect(redirectUriRegistered(registered, 'http://127.0.0.1:55555/callback')).toBe(true);
    expect(redirectUriRegistered(registered, 'http://localhost:4000/cb?x=1')).toBe(true);
    expect(redirectUriRegistered(registered, 'http://127.0.0.1:55555/other')).toBe(false);
    expect(redirectUriRegistered(registered, 'http://localhost:4000/cb?x=2')).toBe(false);
    expect(redirectUriRegistered(registered, 'http://localhost:9/callback')).toBe(false);
    expect(redirectUriRegistered(registered, 'https://app.example.com:8443/cb')).toBe(false);
    expect(redirectUriRegistered(registered, 'garbage')).toBe(false);
  });

  it('throttles IPv6 clients by their /64, IPv4 clients by their address', () => {
    expect(throttleKey('203.0.113.7')).toBe('203.0.113.7');
    expect(throttleKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(throttleKey('2001:0DB8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(throttleKey('2001:db8::5')).toBe('2001:db8:0:0::/64');
    expect(throttleKey('::1')).toBe('0:0:0:0::/64');
    expect(throttleKey('unknown')).toBe('unknown');
  });
});
