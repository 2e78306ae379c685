import { canonicalJson, idempotencyClaim } from './idempotency';

describe('Idempotency-Key request hash', () => {
  it('is the same for the same body in any key order, nested ones included', () => {
    const a = idempotencyClaim('k', { text: 't', metadata: { team: 'web', env: { a: 1, b: [2, { y: 1, x: 0 }] } } });
    const b = idempotencyClaim('k', { metadata: { env: { b: [2, { x: 0, y: 1 }], a: 1 }, team: 'web' }, text: 't' });
    expect(a?.requestHash).toBe(b?.requestHash);
  });

  it('differs for another body, array order, or a field sent with its default', () => {
    const hash = (body: unknown) => idempotencyClaim('k', body)?.requestHash;
    expect(hash({ text: 'a' })).not.toBe(hash({ text: 'b' }));
    expect(hash({ labels: ['a', 'b'] })).not.toBe(hash({ labels: ['b', 'a'] }));
    expect(hash({ text: 'a' })).not.toBe(hash({ text: 'a', status: 'active' }));
  });

  it('leaves undefined fields out, as JSON does, and has no claim without a key', () => {
    expect(canonicalJson({ b: 1, a: undefined, c: null })).toBe('{"b":1,"c":null}');
    expect(canonicalJson(['x', 1, true, null])).toBe('["x",1,true,null]');
    expect(idempotencyClaim(undefined, { text: 'a' })).toBeUndefined();
  });
});
