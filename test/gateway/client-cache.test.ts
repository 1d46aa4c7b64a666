import { describe, expect, it } from 'vitest';
import { clientCache } from '../../src/gateway/client-cache.js';

describe('clientCache', () => {
  it('makes one client per connection string, and a new one after drain', () => {
    let made = 0;
    const cache = clientCache((cs) => ({ cs, n: ++made }));
    const a = cache.get('A');
    expect(cache.get('A')).toBe(a);
    expect(cache.get('B')).not.toBe(a);
    expect(cache.drain().map((c) => c.cs)).toEqual(['A', 'B']);
    expect(cache.drain()).toEqual([]);
    expect(cache.get('A')).not.toBe(a);
    expect(made).toBe(3);
  });
});
