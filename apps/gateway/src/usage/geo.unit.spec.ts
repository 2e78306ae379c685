import { GeoIpLiteLocator, isPrivateAddress, LOCAL } from './geo';

describe('isPrivateAddress', () => {
  it.each([
    ['10.0.0.1', true],
    ['10.255.255.255', true],
    ['172.16.0.1', true],
    ['172.20.10.5', true],
    ['172.31.255.255', true],
    ['192.168.0.1', true],
    ['192.168.1.4', true],
    ['127.0.0.1', true],
    ['127.8.9.10', true],
    ['::1', true],
    ['fc00::1', true],
    ['fd12:3456:789a::1', true],
    ['fe80::1', true],
    ['100.64.0.1', true],
    ['100.127.255.255', true],
    ['169.254.169.254', true],
    ['::ffff:10.0.0.1', true],
    ['::ffff:127.0.0.1', true],
    ['8.8.8.8', false],
    ['81.2.69.160', false],
    ['1.128.0.1', false],
    ['2001:4860::', false],
    ['2001:4860:4860::8888', false],
    ['172.15.255.255', false],
    ['172.32.0.1', false],
    ['11.0.0.1', false],
    ['192.169.0.1', false],
    ['100.63.255.255', false],
    ['100.128.0.1', false],
    ['fbff::1', false],
    ['::ffff:8.8.8.8', false],
  ])('answers %s → %s', (ip, expected) => {
    expect(isPrivateAddress(ip)).toBe(expected);
  });

  it.each([[''], ['garbage'], ['999.1.1.1'], ['10.0.0.1/8'], ['localhost']])(
    'answers false for the non-address %j',
    (ip) => {
      expect(isPrivateAddress(ip)).toBe(false);
    },
  );
});

describe('GeoIpLiteLocator', () => {
  const sut = new GeoIpLiteLocator();

  it.each([
    ['81.2.69.160', 'GB'],
    ['1.128.0.1', 'AU'],
    ['::ffff:81.2.69.160', 'GB'],
  ])('locates %s in %s', (ip, country) => {
    const location = sut.locate(ip);

    expect(location).toMatchObject({ country });
    expect(Object.keys(location ?? {}).sort()).toEqual(['city', 'country']);
  });

  it('answers a city as null rather than an empty string', () => {
    expect(sut.locate('1.128.0.1')?.city).not.toBe('');
  });

  it.each([['127.0.0.1'], ['192.168.1.4'], ['10.1.2.3'], ['::1'], ['fd00::2'], ['::ffff:127.0.0.1']])(
    'answers local for %s',
    (ip) => {
      expect(sut.locate(ip)).toEqual({ country: 'local', city: null });
      expect(sut.locate(ip)).toEqual(LOCAL);
    },
  );

  it.each([['garbage'], [''], ['999.1.1.1']])('answers null for %j', (ip) => {
    expect(sut.locate(ip)).toBeNull();
  });
});
