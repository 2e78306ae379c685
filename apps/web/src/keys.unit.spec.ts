import { DEFAULT_KEYS_VIEW, keysLocation, keysQuery, parseKeysLocation, sortedBy } from './keys';

describe('the API Keys page address', () => {
  it('is plain #/keys for the defaults, and holds only what differs', () => {
    expect(keysLocation(DEFAULT_KEYS_VIEW)).toBe('/keys');
    expect(keysLocation({ ...DEFAULT_KEYS_VIEW, status: 'all', search: 'lap top', page: 2 })).toBe(
      '/keys?status=all&search=lap+top&page=2',
    );
    expect(keysLocation({ ...DEFAULT_KEYS_VIEW, search: '   ' })).toBe('/keys');
  });

  it('reads back what it wrote', () => {
    const view = { status: 'revoked', search: 'ci & co', sort_by: 'name', sort_order: 'asc', page: 3 } as const;
    expect(parseKeysLocation(keysLocation(view).split('?')[1])).toEqual(view);
  });

  it('falls back to the defaults for values the API would refuse', () => {
    expect(parseKeysLocation('status=gone&sort_by=secret&sort_order=up&page=-2')).toEqual(DEFAULT_KEYS_VIEW);
    expect(parseKeysLocation('page=1.5').page).toBe(1);
    expect(parseKeysLocation('page=0x10').page).toBe(1);
    expect(parseKeysLocation('page=1000001').page).toBe(1);
    expect(parseKeysLocation(`search=${'x'.repeat(300)}`).search).toHaveLength(255);
  });

  it('asks the API for 20 keys of the view, without an empty search', () => {
    expect(keysQuery(DEFAULT_KEYS_VIEW)).toBe('?status=active&sort_by=created_at&sort_order=desc&page=1&limit=20');
    expect(keysQuery({ ...DEFAULT_KEYS_VIEW, search: ' lap ' })).toContain('search=lap&');
  });
});

describe('sorting by a column', () => {
  it('starts names A to Z and times newest first, flips on a second click, and goes back to page 1', () => {
    const byName = sortedBy({ ...DEFAULT_KEYS_VIEW, page: 4 }, 'name');
    expect(byName).toMatchObject({ sort_by: 'name', sort_order: 'asc', page: 1 });
    expect(sortedBy(byName, 'name').sort_order).toBe('desc');
    expect(sortedBy(byName, 'last_used_at')).toMatchObject({ sort_by: 'last_used_at', sort_order: 'desc' });
    expect(sortedBy(DEFAULT_KEYS_VIEW, 'created_at').sort_order).toBe('asc');
  });
});

describe('a search for a key', () => {
  const key = `vxk_${'ab'.repeat(32)}`;
  it('is its display prefix when the whole key is pasted, so the key never enters the address', () => {
    const address = keysLocation({ ...DEFAULT_KEYS_VIEW, search: ` ${key} ` });
    expect(address).toBe('/keys?search=vxk_abababab');
    expect(parseKeysLocation(`search=${key}`).search).toBe('vxk_abababab');
  });
  it('drops the … the table shows after a prefix', () => {
    expect(keysLocation({ ...DEFAULT_KEYS_VIEW, search: 'vxk_abababab…' })).toBe('/keys?search=vxk_abababab');
  });
});
