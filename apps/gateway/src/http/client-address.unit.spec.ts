import { parseTrustedProxies } from '../config/gateway.env';
import { clientIp } from './client-address';

const client = '81.2.69.160';
const trusted = parseTrustedProxies('127.0.0.1, 10.0.0.0/8, ::1, fd00::/8');

describe('clientIp', () => {
  it.each([
    ['an untrusted peer', '203.0.113.7', client, '203.0.113.7'],
    ['an untrusted IPv6 peer', '2001:db8::7', client, '2001:db8::7'],
    ['an untrusted peer claiming to be a trusted proxy', '203.0.113.7', '10.0.0.2', '203.0.113.7'],
  ])('ignores X-Forwarded-For from %s (no spoofing)', (_, peer, forwardedFor, expected) => {
    expect(clientIp(peer, forwardedFor, trusted)).toBe(expected);
  });

  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['an IPv4-mapped peer', '::ffff:127.0.0.1'],
    ['a peer inside a trusted range', '10.1.2.3'],
    ['a trusted IPv6 peer', '::1'],
  ])('believes X-Forwarded-For from %s', (_, peer) => {
    expect(clientIp(peer, client, trusted)).toBe(client);
  });

  it.each([
    ['a trusted peer without X-Forwarded-For', '10.0.0.1', undefined, '10.0.0.1'],
    ['an empty X-Forwarded-For', '10.0.0.1', '', '10.0.0.1'],
    ['a missing socket address', undefined, client, ''],
  ])('answers the peer for %s', (_, peer, forwardedFor, expected) => {
    expect(clientIp(peer, forwardedFor, trusted)).toBe(expected);
  });

  it.each([
    ['trusted hops on the right', `198.51.100.1, ${client}, 10.0.0.2, 10.0.0.3`, client],
    ['no spaces after the commas', `198.51.100.1,${client},10.0.0.2`, client],
    ['an IPv4-mapped trusted hop', `${client}, ::ffff:10.0.0.2`, client],
    ['an IPv6 client', '2001:db8::1, 10.0.0.2', '2001:db8::1'],
    ['a bracketed IPv6 client', '[2001:db8::1], fd00::2', '2001:db8::1'],
    ['an IPv4-mapped client', `::ffff:${client}`, client],
    ['only trusted hops', '10.0.0.4, 10.0.0.3', '10.0.0.4'],
  ])('takes the right-most untrusted address with %s', (_, forwardedFor, expected) => {
    expect(clientIp('127.0.0.1', forwardedFor, trusted)).toBe(expected);
  });

  it.each([
    ['a garbage entry right after the peer', `${client}, garbage`, '127.0.0.1'],
    ['a garbage entry behind a trusted hop', `${client}, garbage, 10.0.0.2`, '10.0.0.2'],
    ['an address with a port', `${client}:4711, 10.0.0.2`, '10.0.0.2'],
    ['an empty entry', `${client}, , 10.0.0.2`, '10.0.0.2'],
    ['a lone garbage header', 'unknown', '127.0.0.1'],
  ])('stops the walk at %s and answers the last trusted hop', (_, forwardedFor, expected) => {
    expect(clientIp('127.0.0.1', forwardedFor, trusted)).toBe(expected);
  });

  it('does not let a spoofed address left of the client win', () => {
    expect(clientIp('10.0.0.1', `1.1.1.1, ${client}`, trusted)).toBe(client);
  });

  it('reads repeated header values as one list, in order', () => {
    expect(clientIp('127.0.0.1', ['198.51.100.1', `${client}, 10.0.0.2`, '10.0.0.3'], trusted)).toBe(client);
    expect(clientIp('127.0.0.1', [`${client}, 10.0.0.2`, '198.51.100.9'], trusted)).toBe('198.51.100.9');
  });

  it('trusts nobody with an empty TRUSTED_PROXIES', () => {
    expect(clientIp('127.0.0.1', client, parseTrustedProxies(''))).toBe('127.0.0.1');
  });
});
