import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { SecuritySettingsDto, isHttpUrl, isLinkLocalAddress, isPrivateAddress, isSafeWebhookUrl } from './alerts';

/** The fields a SecuritySettingsDto refuses, with their messages (as the gateway's and the services' pipes see them). */
function problems(body: Record<string, unknown>): Record<string, string[]> {
  const errors = validateSync(plainToInstance(SecuritySettingsDto, body), {
    whitelist: true,
    forbidNonWhitelisted: true,
  });
  return Object.fromEntries(
    errors.map((error) => [
      error.property,
      [
        ...Object.values(error.constraints ?? {}),
        ...(error.children ?? []).flatMap((child) => Object.values(child.constraints ?? {})),
      ],
    ]),
  );
}

const valid = { timezone: 'UTC', working_hours: null, webhook_url: null, auto_revoke_on: [] };

describe('SecuritySettingsDto', () => {
  it('accepts settings without working hours, and with them', () => {
    expect(problems(valid)).toEqual({});
    expect(problems({ ...valid, working_hours: { days: [1, 5], start: '22:00', end: '06:00' } })).toEqual({});
  });

  it.each([
    ['an empty array', []],
    ['an array of working days', [{ days: [1], start: '09:00', end: '17:00' }]],
    ['a string', '09:00-17:00'],
    ['a number', 9],
    ['a boolean', true],
  ])('refuses working_hours that are %s', (_, workingHours) => {
    expect(problems({ ...valid, working_hours: workingHours })).toEqual({
      working_hours: expect.arrayContaining(['must be an object { days, start, end }, or null for none']),
    });
  });

  it.each([
    ['a string', 'off_hours'],
    ['null', null],
    ['an object', { off_hours: true }],
  ])('refuses auto_revoke_on that is %s', (_, autoRevokeOn) => {
    expect(Object.keys(problems({ ...valid, auto_revoke_on: autoRevokeOn }))).toEqual(['auto_revoke_on']);
  });

  it.each([
    ['a number', 1],
    ['an array', ['UTC']],
    ['null', null],
  ])('refuses a timezone that is %s', (_, timezone) => {
    expect(Object.keys(problems({ ...valid, timezone }))).toEqual(['timezone']);
  });
});

describe('webhook URLs', () => {
  it.each([
    ['a space before', ' https://hooks.example.com/vibexp', 'must not contain spaces or control characters'],
    ['a space after', 'https://hooks.example.com/vibexp ', 'must not contain spaces or control characters'],
    ['a newline after', 'https://hooks.example.com/vibexp\n', 'must not contain spaces or control characters'],
    ['a tab inside', 'https://hooks.exam\tple.com/vibexp', 'must not contain spaces or control characters'],
    ['a NUL inside', 'https://hooks.example.com/\u0000', 'must not contain spaces or control characters'],
    ['port 0', 'https://example.com:0/', 'must not use port 0'],
    ['no host before the path', 'http:///x', 'must be an http(s) URL'],
    ['backslashes for slashes', 'http:\\\\example.com/x', 'must be an http(s) URL'],
    ['no slashes', 'https:example.com', 'must be an http(s) URL'],
    ['another scheme', 'ftp://example.com/x', 'must be an http(s) URL'],
    ['a user and password', 'https://user:pass@hooks.example.com/', 'must not contain credentials (user:password@)'],
    ['an empty user', 'https://@hooks.example.com/', 'must not contain credentials (user:password@)'],
  ])('refuses %s, saying why', (_, url, message) => {
    expect(problems({ ...valid, webhook_url: url })).toEqual({ webhook_url: [message] });
  });

  it.each([
    'https://hooks.example.com/vibexp',
    'http://hooks.example.com:8080/a/b?c=d#e',
    'https://[2001:db8::1]/hook',
    'https://hooks.example.com/a@b',
  ])('accepts %s', (url) => {
    expect(problems({ ...valid, webhook_url: url })).toEqual({});
    expect(isHttpUrl(url)).toBe(true);
  });

  it.each([
    'http://localhost/',
    'http://localhost./',
    'http://api.localhost./',
    'http://printer.local./',
    'http://metadata.google.internal/',
    'http://metadata.google.internal./',
    'http://127.0.0.1/',
    'http://127.0.0.1./',
    'http://2130706433/',
    'http://0.0.0.0/',
    'http://10.1.2.3/',
    'http://100.64.0.1/',
    'http://169.254.169.254/',
    'http://172.31.255.255/',
    'http://192.0.0.8/',
    'http://192.168.1.10/',
    'http://198.18.0.1/',
    'http://198.19.255.255/',
    'http://224.0.0.1/',
    'http://239.255.255.250/',
    'http://240.0.0.1/',
    'http://255.255.255.255/',
    'http://[::]/',
    'http://[::1]/',
    'http://[::127.0.0.1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://[::ffff:10.0.0.1]/',
    'http://[64:ff9b::10.0.0.1]/',
    'https://[::ffff:0:7f00:1]/',
    'http://[2002:c0a8:101::1]/',
    'http://[fc00::1]/',
    'http://[fd12:3456::1]/',
    'http://[fe80::1]/',
    'http://[fec0::1]/',
    'http://[feff::1]/',
    'http://[ff02::1]/',
  ])('takes %s for a private target', (url) => {
    expect(isSafeWebhookUrl(url)).toBe(false);
  });

  it.each([
    'https://hooks.example.com/vibexp',
    'https://example.com./hook',
    'http://8.8.8.8/',
    'http://192.0.1.255/',
    'http://198.20.0.1/',
    'http://223.255.255.255/',
    'http://[2606:4700:4700::1111]/',
    'http://[::ffff:8.8.8.8]/',
  ])('takes %s for a public target', (url) => {
    expect(isSafeWebhookUrl(url)).toBe(true);
  });

  it.each([
    ['127.0.0.1', true],
    ['::ffff:127.0.0.1', true],
    ['::ffff:7f00:1', true],
    ['fe80::1%eth0', true],
    ['fec0::1', true],
    ['198.18.7.7', true],
    ['255.255.255.255', true],
    ['8.8.8.8', false],
    ['2606:4700:4700::1111', false],
    ['hooks.example.com', false],
    ['1:2:3:4:5:6:7:8:9', false],
  ])('takes the resolved address %s for private: %s', (address, expected) => {
    expect(isPrivateAddress(address)).toBe(expected);
  });
});

describe('isLinkLocalAddress (where cloud metadata services answer)', () => {
  it('knows 169.254.0.0/16, fe80::/10, AWS fd00:ec2::254 and their IPv4-mapped forms', () => {
    for (const address of [
      '169.254.169.254',
      '169.254.0.1',
      '[fe80::1]',
      'fe80::abcd',
      'fd00:ec2::254',
      '::ffff:169.254.169.254',
      '::a9fe:a9fe',
      '64:ff9b::a9fe:a9fe',
      '2002:a9fe:a9fe::',
      '::ffff:0:a9fe:a9fe',
      '[::ffff:0:169.254.169.254]',
    ])
      expect([address, isLinkLocalAddress(address)]).toEqual([address, true]);
  });
  it('leaves other addresses and names', () => {
    for (const address of ['169.253.1.1', '10.0.0.1', '127.0.0.1', 'fd00::1', 'example.com', '::1'])
      expect([address, isLinkLocalAddress(address)]).toEqual([address, false]);
  });
});
