import { containsPastedKey, maskPastedKeys } from './pasted-keys';

describe('pasted keys', () => {
  const key = `vxk_${'0123456789abcdef'.repeat(4)}`;

  it('masks each whole vxk_ key in text, its hex in any case, keeping its display prefix', () => {
    const upper = `vxk_${key.slice(4).toUpperCase()}`;
    expect(maskPastedKeys(`a ${key} b ${upper}`)).toBe(
      `a ${key.slice(0, 12)}…[REDACTED] b ${upper.slice(0, 12)}…[REDACTED]`,
    );
    expect(maskPastedKeys(`x${key}.`)).toBe(`x${key.slice(0, 12)}…[REDACTED].`);
  });

  it('masks an OAuth access or refresh token the same way', () => {
    const access = `vxo_${'1f'.repeat(32)}`;
    const refresh = `vxr_${'2e'.repeat(32)}`;
    expect(maskPastedKeys(`${access} ${refresh}`)).toBe('vxo_1f1f1f1f…[REDACTED] vxr_2e2e2e2e…[REDACTED]');
  });

  it('masks a key written in capitals, one lower-casing away from the key', () => {
    const capitals = key.toUpperCase();
    expect(maskPastedKeys(`a ${capitals} b`)).toBe(`a ${capitals.slice(0, 12)}…[REDACTED] b`);
    expect(containsPastedKey(capitals)).toBe(true);
  });

  it('masks a key glued to text that starts with hex, whole', () => {
    expect(maskPastedKeys(`${key}abcdef words`)).toBe(`${key.slice(0, 12)}…[REDACTED] words`);
  });

  it('leaves what is not a whole key: a short hex run, legacy-shaped words, plain text', () => {
    for (const text of [key.slice(0, 40), 'ak_live_1234567890 vib-abcdefgh', 'plain text', 'VXK_' + key.slice(4, 40)]) {
      expect(maskPastedKeys(text)).toBe(text);
      expect(containsPastedKey(text)).toBe(false);
    }
    expect(containsPastedKey(`see ${key}`)).toBe(true);
  });
});
