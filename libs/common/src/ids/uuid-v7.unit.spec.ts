import { MonotonicUuidV7, uuidV7 } from './uuid-v7';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('uuidV7', () => {
  it('writes a version 7, variant 10 UUID in the canonical text form', () => {
    for (let index = 0; index < 1_000; index++) {
      const id = uuidV7();
      expect(id).toMatch(UUID);
      expect(id[14]).toBe('7');
      expect('89ab').toContain(id[19]);
    }
  });

  it('carries the time in milliseconds in its first 48 bits', () => {
    const at = Date.parse('2026-11-26T17:30:00.123Z');
    const id = uuidV7(at);
    expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(at);
  });

  it('sorts by time, as text, across milliseconds', () => {
    const ids = [1_700_000_000_000, 1_700_000_000_001, 1_800_000_000_000, 2_000_000_000_000].map((ms) => uuidV7(ms));
    expect([...ids].sort()).toEqual(ids);
  });

  it('never repeats', () => {
    const ids = new Set(Array.from({ length: 20_000 }, () => uuidV7(1_800_000_000_000)));
    expect(ids.size).toBe(20_000);
  });
});

describe('MonotonicUuidV7', () => {
  it('makes version 7 UUIDs that sort in the order they were made, within one millisecond too', () => {
    const sut = new MonotonicUuidV7();
    const ids = Array.from({ length: 10_000 }, () => sut.next(1_800_000_000_000));
    for (const id of ids) {
      expect(id).toMatch(UUID);
      expect(id[14]).toBe('7');
      expect('89ab').toContain(id[19]);
    }
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('keeps its order when the clock steps back, and carries the time otherwise', () => {
    const sut = new MonotonicUuidV7();
    const first = sut.next(1_800_000_000_500);
    const earlier = sut.next(1_800_000_000_000);
    expect([first, earlier].sort()).toEqual([first, earlier]);
    const later = sut.next(1_800_000_001_000);
    expect(parseInt(later.slice(0, 8) + later.slice(9, 13), 16)).toBe(1_800_000_001_000);
  });
});
