import { ProblemError } from '#common';
import { parseVersionNumber } from './version-number';

describe('parseVersionNumber', () => {
  const refusal = (text: string) => {
    try {
      parseVersionNumber(text);
      return undefined;
    } catch (error) {
      return [(error as ProblemError).status, (error as ProblemError).detail];
    }
  };

  it('takes a positive whole number', () => {
    expect(parseVersionNumber('1')).toBe(1);
    expect(parseVersionNumber('9999999')).toBe(9_999_999);
    expect(parseVersionNumber('00000001')).toBe(1);
  });

  it.each([
    ['0', 'versions start at 1'],
    ['-1', 'versions start at 1'],
    ['1.5', 'versions start at 1'],
    ['x', 'versions start at 1'],
    ['99999999999999999999', 'no item has that many versions'],
  ])('answers %p with 404 saying why (%s)', (text, why) => {
    expect(refusal(text)).toEqual([404, expect.stringContaining(why)]);
  });
});
