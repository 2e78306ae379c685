import { parseUsageRange, usageLocation } from './usage-range';

describe('the range of a usage page, in its address', () => {
  it('reads the range, and the default for none or one the API does not take', () => {
    expect(parseUsageRange('range=30d')).toBe('30d');
    expect(parseUsageRange('')).toBe('7d');
    expect(parseUsageRange('range=1y')).toBe('7d');
  });

  it('writes a range other than the default only', () => {
    expect(usageLocation('/keys/k1/usage', '90d')).toBe('/keys/k1/usage?range=90d');
    expect(usageLocation('/keys/k1/usage', '7d')).toBe('/keys/k1/usage');
    expect(parseUsageRange(usageLocation('/settings/apps/g1/usage', '24h').split('?')[1])).toBe('24h');
  });
});
