import { keySearchText } from './keys';
import { maskPastedKeys } from './pasted-keys';

describe('keySearchText', () => {
  const key = `vxk_13fbf6e6${'ab'.repeat(28)}`;

  it('searches a whole pasted key by its display prefix, in any case', () => {
    expect(keySearchText(` ${key} `)).toBe('vxk_13fbf6e6');
    expect(keySearchText(key.toUpperCase().replace('VXK_', 'vxk_'))).toBe('vxk_13fbf6e6');
  });

  it('searches a key the gateway masked in the query by the same prefix', () => {
    expect(keySearchText(maskPastedKeys(key))).toBe('vxk_13fbf6e6');
    expect(keySearchText(maskPastedKeys(key.toUpperCase()))).toBe('vxk_13fbf6e6');
  });

  it('drops the … the table shows after a prefix, and keeps other text as typed', () => {
    expect(keySearchText('vxk_13fbf6e6…')).toBe('vxk_13fbf6e6');
    expect(keySearchText('Laptop CLI')).toBe('Laptop CLI');
  });
});
