import { canonicalIp } from './ip-address';

describe('canonicalIp', () => {
  it.each([
    ['::ffff:127.0.0.1', '127.0.0.1'],
    ['::FFFF:81.2.69.160', '81.2.69.160'],
    ['::ffff:7f00:1', '127.0.0.1'],
    ['[2001:db8::1]', '2001:db8::1'],
    ['[::1]', '::1'],
    ['  10.0.0.1 ', '10.0.0.1'],
    ['2001:db8::1', '2001:db8::1'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:0db8::0001', '2001:db8::1'],
    ['fe80::1%eth0', 'fe80::1%eth0'],
    ['FE80:0::1%eth0', 'fe80::1%eth0'],
    ['81.2.69.160', '81.2.69.160'],
    ['not an address', 'not an address'],
  ])('writes %j as %j', (input, expected) => {
    expect(canonicalIp(input)).toBe(expected);
  });
});
