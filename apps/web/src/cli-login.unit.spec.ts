import { cancelTarget, cliLoginRequest, confirmationCode, isCliCallback, keyExpiry } from './cli-login';

const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
const state = 'abcdefghijklmnopqrstuvwx';
const search = (fields: Record<string, string>) =>
  new URLSearchParams({
    port: '49152',
    state,
    code_challenge: challenge,
    name: 'vibexp CLI on laptop',
    ...fields,
  }).toString();

describe('the CLI login address', () => {
  it('reads what vibexp auth login --web sends', () => {
    expect(cliLoginRequest(search({}))).toEqual({
      port: 49152,
      state,
      code_challenge: challenge,
      name: 'vibexp CLI on laptop',
    });
    expect(cliLoginRequest(search({ name: '  ' }))?.name).toBe('vibexp CLI');
    expect(confirmationCode(cliLoginRequest(search({}))!)).toBe('E9Me-lhoa');
    expect(cliLoginRequest(search({ name: 'x'.repeat(300) }))?.name).toHaveLength(255);
  });

  it.each([
    ['port', '80'],
    ['port', '70000'],
    ['port', '4915a'],
    ['port', ''],
    ['state', 'short'],
    ['state', 'has spaces in it, sixteen+'],
    ['code_challenge', 'x'],
    ['code_challenge', `${challenge}=`],
  ])('refuses %s=%p', (field, value) => {
    expect(cliLoginRequest(search({ [field]: value }))).toBeNull();
  });

  it('cancels to the CLI’s own server, and trusts only an answer that goes there', () => {
    const request = cliLoginRequest(search({}))!;
    expect(cancelTarget(request)).toBe(`http://127.0.0.1:49152/callback?error=access_denied&state=${state}`);
    expect(isCliCallback('http://127.0.0.1:49152/callback?code=c&state=s', request)).toBe(true);
    expect(isCliCallback('http://127.0.0.1:49153/callback?code=c', request)).toBe(false);
    expect(isCliCallback('http://evil.example/callback?code=c', request)).toBe(false);
    expect(isCliCallback('http://127.0.0.1:49152/other', request)).toBe(false);
    expect(isCliCallback('not a url', request)).toBe(false);
  });

  it('gives the key its chosen lifetime, or none', () => {
    const now = new Date('2026-11-27T10:00:00.000Z');
    expect(keyExpiry(90, now)).toBe('2027-02-25T10:00:00.000Z');
    expect(keyExpiry(0, now)).toBeUndefined();
  });
});
