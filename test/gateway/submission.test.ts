import { describe, expect, it } from 'vitest';
import { isJsonMediaType } from '../../src/gateway/contract.js';

describe('isJsonMediaType', () => {
  it.each([
    ['application/json', true],
    ['Application/JSON; charset=utf-8', true],
    ['application/problem+json', true],
    ['text/json', false],
    ['text/plain', false],
  ])('%s → %s', (type, expected) => expect(isJsonMediaType(type)).toBe(expected));
});
