import { lastPageInstead } from './address';

describe('a page past the end of a list', () => {
  it('is shown as the last page that exists, or page 1 of an empty list', () => {
    expect(lastPageInstead(9, 2)).toBe(2);
    expect(lastPageInstead(2, 1)).toBe(1);
    expect(lastPageInstead(3, 0)).toBe(1);
  });

  it('is not changed while it exists', () => {
    expect(lastPageInstead(2, 2)).toBeNull();
    expect(lastPageInstead(1, 0)).toBeNull();
    expect(lastPageInstead(1, 5)).toBeNull();
  });
});
