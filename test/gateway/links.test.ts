import { describe, expect, it } from 'vitest';
import { resourceUrl } from '../../src/gateway/links.js';

describe('resourceUrl', () => {
  it('is relative without a public base URL', () => {
    expect(resourceUrl(undefined, 'status', 'abc')).toBe('/api/status/abc');
  });
  it('is absolute under the public base URL, keeping its path', () => {
    expect(resourceUrl('https://api.example.com/', 'results', 'abc')).toBe('https://api.example.com/api/results/abc');
    expect(resourceUrl('https://example.com/gw/', 'status', 'abc')).toBe('https://example.com/gw/api/status/abc');
  });
});
