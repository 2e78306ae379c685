import { BoundedMemo } from './bounded-memo';

describe('BoundedMemo', () => {
  it('computes each key once and answers again from memory', () => {
    const compute = jest.fn((key: string) => key.length);
    const memo = new BoundedMemo(10, compute);
    expect([memo.get('ab'), memo.get('ab'), memo.get('abc')]).toEqual([2, 2, 3]);
    expect(compute).toHaveBeenCalledTimes(2);
  });

  it('remembers an answer of null or undefined too', () => {
    const compute = jest.fn(() => undefined);
    const memo = new BoundedMemo(10, compute);
    memo.get('x');
    memo.get('x');
    expect(compute).toHaveBeenCalledTimes(1);
  });

  it('forgets the oldest entry beyond its bound, and computes it again when asked', () => {
    const compute = jest.fn((key: string) => `${key}!`);
    const memo = new BoundedMemo(2, compute);
    memo.get('a');
    memo.get('b');
    memo.get('c');
    expect(memo.size).toBe(2);
    expect(memo.get('b')).toBe('b!');
    expect(compute).toHaveBeenCalledTimes(3);
    expect(memo.get('a')).toBe('a!');
    expect(compute).toHaveBeenCalledTimes(4);
  });
});
