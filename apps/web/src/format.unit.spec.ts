import {
  dateTime,
  displayPrefix,
  integrationsInOrder,
  keyHint,
  keyLabels,
  lastUsed,
  preciseTime,
  ranked,
  shares,
} from './format';
import type { ApiKey } from './types';

const NOW = Date.parse('2026-11-27T12:00:00Z');
const key = (overrides: Partial<ApiKey>): ApiKey => ({
  id: 'k',
  name: 'Laptop',
  key_prefix: 'vxk_1a2b3c4d',
  integrations: ['cli'],
  is_legacy: false,
  migration_notes: null,
  status: 'active',
  created_at: '2026-11-01T00:00:00Z',
  updated_at: '2026-11-01T00:00:00Z',
  last_used_at: null,
  request_count: 0,
  last_used_ip: null,
  last_used_location: null,
  last_tool_type: null,
  expires_at: null,
  revoked_at: null,
  revoked_reason: null,
  rotation_due: false,
  replaced_by: null,
  revokes_at: null,
  ...overrides,
});

describe('dashboard formatting (PRODUCT.md §13)', () => {
  it('shows a key as its prefix and an ellipsis', () => {
    expect(displayPrefix('vxk_1a2b3c4d')).toBe('vxk_1a2b3c4d…');
  });

  it('names each key for its row buttons, with its prefix where another listed key has its name', () => {
    const labels = keyLabels([
      key({ id: 'old', key_prefix: 'vxk_1a2b3c4d' }),
      key({ id: 'new', key_prefix: 'vxk_9f8e7d6c' }),
      key({ id: 'ci', name: 'CI' }),
    ]);
    expect(labels.get('old')).toBe('Laptop (vxk_1a2b3c4d…)');
    expect(labels.get('new')).toBe('Laptop (vxk_9f8e7d6c…)');
    expect(labels.get('ci')).toBe('CI');
  });

  it('says Never for a key never used, else how long ago', () => {
    expect(lastUsed(null, NOW)).toBe('Never');
    expect(lastUsed('2026-11-27T11:59:30Z', NOW)).toBe('just now');
    expect(lastUsed('2026-11-27T09:00:00Z', NOW)).toBe('3 hours ago');
    expect(lastUsed('2026-11-26T12:00:00Z', NOW)).toBe('1 day ago');
    expect(lastUsed('2026-08-27T12:00:00Z', NOW)).toBe('3 months ago');
  });

  it('rounds down to whole units, past or to come', () => {
    // 1.88 years
    expect(lastUsed('2025-01-10T12:00:00Z', NOW)).toBe('1 year ago');
    expect(lastUsed('2026-11-27T10:01:00Z', NOW)).toBe('1 hour ago');
    expect(lastUsed('2026-11-29T23:00:00Z', NOW)).toBe('in 2 days');
  });

  it('says how long in numbers, never a calendar day, month or year that rounding down could get wrong', () => {
    // 23 h before noon is 13:00 the day before: not a whole day, and "yesterday" would be right only by luck.
    expect(lastUsed('2026-11-26T13:00:00Z', NOW)).toBe('23 hours ago');
    // 36 h: the day before yesterday by the calendar, one whole day by the clock.
    expect(lastUsed('2026-11-26T00:00:00Z', NOW)).toBe('1 day ago');
    // 59 days: September by the calendar, not "last month" (October).
    expect(lastUsed('2026-09-29T12:00:00Z', NOW)).toBe('1 month ago');
    // 23 months: 2024, not "last year" (2025).
    expect(lastUsed('2024-12-28T12:00:00Z', NOW)).toBe('1 year ago');
    expect(lastUsed('2026-11-28T12:00:00Z', NOW)).toBe('in 1 day');
    expect(lastUsed('2027-01-20T12:00:00Z', NOW)).toBe('in 1 month');
  });

  it('shows integrations in one order, whatever order they were stored in', () => {
    expect(integrationsInOrder(['mcp_server', 'cli', 'ai_tools'])).toEqual(['ai_tools', 'cli', 'mcp_server']);
    expect(integrationsInOrder(['cli', 'ai_tools'])).toEqual(['ai_tools', 'cli']);
  });

  it('shows times in UTC, to the minute or, side by side, to the second', () => {
    expect(dateTime('2026-11-27T09:05:07.123Z')).toBe('27 Nov 2026, 09:05 UTC');
    expect(preciseTime('2026-11-27T09:05:07.123Z')).toBe('27 Nov 2026, 09:05:07 UTC');
    expect(preciseTime(null)).toBe('—');
  });

  it('hints at rotation, a close expiry, or why a key was revoked', () => {
    expect(keyHint(key({}), NOW)).toBeNull();
    expect(keyHint(key({ rotation_due: true }), NOW)).toBe('rotation due: older than 90 days');
    expect(keyHint(key({ expires_at: '2026-11-30T12:00:00Z' }), NOW)).toBe('expires in 3 days');
    expect(keyHint(key({ expires_at: '2027-03-01T00:00:00Z' }), NOW)).toBe('expires in 3 months');
    expect(keyHint(key({ expires_at: '2027-03-01T00:00:00Z', rotation_due: true }), NOW)).toBe(
      'rotation due: older than 90 days',
    );
    expect(keyHint(key({ status: 'revoked', revoked_reason: 'rotated' }), NOW)).toBe('revoked (rotated)');
    expect(keyHint(key({ replaced_by: 'k2', rotation_due: true }), NOW)).toBe(
      'rotated: stops working when its grace period ends',
    );
    expect(keyHint(key({ replaced_by: 'k2', revokes_at: '2026-11-27T15:00:00Z' }), NOW)).toBe(
      'rotated: stops working in 3 hours (27 Nov 2026, 15:00 UTC)',
    );
  });

  it('sizes bars against the largest and ranks counts', () => {
    expect(shares([{ count: 5 }, { count: 10 }, { count: 0 }]).map((item) => item.share)).toEqual([0.5, 1, 0]);
    expect(shares([{ count: 0 }]).map((item) => item.share)).toEqual([0]);
    expect(ranked({ cli: 3, api: 5, claude_code: 3 })).toEqual([
      { label: 'api', count: 5 },
      { label: 'claude_code', count: 3 },
      { label: 'cli', count: 3 },
    ]);
  });
});
