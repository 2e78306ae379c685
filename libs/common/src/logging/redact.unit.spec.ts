import { redact, redactText } from './redact';

const key = `vxk_${'a1'.repeat(32)}`;

describe('redact', () => {
  it('masks an API key found in free text, keeping only its display prefix', () => {
    const sut = redactText(`token ${key} rejected`);
    expect(sut).not.toContain(key);
    expect(sut).toContain('vxk_a1a1a1a1');
  });

  it('masks legacy key shapes and database passwords', () => {
    expect(redactText('acli-0123456789abcdef0123')).not.toContain('0123456789abcdef0123');
    expect(redactText('postgres://postgres:s3cret@127.0.0.1/keys')).not.toContain('s3cret');
  });

  it('masks secret fields by name at any depth', () => {
    const sut = redact({
      headers: { authorization: 'Bearer x', other: 'ok' },
      body: { password: 'hunter2hunter2', full_key: key },
    });
    expect(JSON.stringify(sut)).not.toMatch(/hunter2|Bearer x|a1a1a1a1a1a1a1a1a1a1/);
    expect(JSON.stringify(sut)).toContain('"other":"ok"');
  });
});
