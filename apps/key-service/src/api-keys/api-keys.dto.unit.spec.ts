import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { AuthorizeCliLoginCommand, CreateKeyCommand, ExchangeCliLoginCommand } from './api-keys.dto';

const meta = { request_id: 'r1' };
const choice = { account_id: '0190a7b8-0000-7000-8000-000000000001', name: 'laptop', integrations: ['cli'] };
const generated = { key_hash: 'a'.repeat(64), key_prefix: 'vxk_1a2b3c4d', meta };
const s256 = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

/** The properties a command refuses in `body`, as key-service's validation pipe checks them. */
function refused(type: new () => object, body: object): string[] {
  return validateSync(plainToInstance(type, body), { whitelist: true, forbidNonWhitelisted: true })
    .map((error) => error.property)
    .sort();
}

describe('the key commands key-service takes', () => {
  it('a key’s creation: the user’s choice and the key the gateway generated', () => {
    expect(refused(CreateKeyCommand, { ...choice, ...generated })).toEqual([]);
    expect(refused(CreateKeyCommand, { ...choice, ...generated, expires_at: '2031-01-01T00:00:00.000Z' })).toEqual([]);
    for (const meta of [undefined, null, [], [{ request_id: 'r1' }], 'r1'])
      expect(refused(CreateKeyCommand, { ...choice, ...generated, meta })).toEqual(['meta']);
    expect(refused(CreateKeyCommand, { ...choice, key_prefix: 'vxk_x', meta: { request_id: 5 } })).toEqual([
      'key_hash',
      'key_prefix',
      'meta',
    ]);
    expect(refused(CreateKeyCommand, { ...generated, integrations: ['mcp_server'], expires_at: 'soon' })).toEqual([
      'account_id',
      'expires_at',
      'integrations',
      'name',
    ]);
  });

  it('a CLI login’s approval and its trade', () => {
    const approval = { code_hash: 'b'.repeat(64), code_challenge: s256, session_id: choice.account_id, meta };
    expect(refused(AuthorizeCliLoginCommand, { ...choice, ...approval })).toEqual([]);
    expect(
      refused(AuthorizeCliLoginCommand, {
        ...choice,
        code_hash: 'x',
        code_challenge: 'y',
        key_hash: 'z',
        session_id: 'me',
      }),
    ).toEqual(['code_challenge', 'code_hash', 'key_hash', 'meta', 'session_id']);
    expect(
      refused(ExchangeCliLoginCommand, { ...generated, code_hash: 'b'.repeat(64), verifier_challenge: s256 }),
    ).toEqual([]);
    expect(
      refused(ExchangeCliLoginCommand, { code_hash: 'b'.repeat(64), verifier_challenge: s256, name: 'x' }),
      // No meta: an event would not say who asked.
    ).toEqual(['key_hash', 'key_prefix', 'meta', 'name']);
  });
});
