// ASP.NET route templates and constraints as the Functions host applies them, unit by unit: the
// values each constraint takes and refuses are the ones its ASP.NET constraint parses.
import { describe, expect, it } from 'vitest';
import { compileRoute } from '../../src/host/http/route-template.js';

const takes = (template: string, value: string): boolean =>
  compileRoute(`x/${template}`).match(`/x/${encodeURIComponent(value)}`) !== undefined;

describe('route constraints', () => {
  it('int is 32-bit and long is 64-bit, both signed', () => {
    expect(takes('{n:int}', '2147483647')).toBe(true);
    expect(takes('{n:int}', '-2147483648')).toBe(true);
    expect(takes('{n:int}', '2147483648')).toBe(false);
    expect(takes('{n:int}', '1.5')).toBe(false);
    expect(takes('{n:long}', '2147483648')).toBe(true);
    expect(takes('{n:long}', '9223372036854775807')).toBe(true);
    expect(takes('{n:long}', '9223372036854775808')).toBe(false);
    expect(takes('{n:long}', 'abc')).toBe(false);
  });

  it('float, double and decimal parse numbers in the invariant culture', () => {
    for (const t of ['float', 'double']) {
      expect(takes(`{n:${t}}`, '1.5')).toBe(true);
      expect(takes(`{n:${t}}`, '-2e10')).toBe(true);
      expect(takes(`{n:${t}}`, '1,000.25')).toBe(true);
      expect(takes(`{n:${t}}`, 'NaN')).toBe(true);
      expect(takes(`{n:${t}}`, '1.2.3')).toBe(false);
      expect(takes(`{n:${t}}`, 'e5')).toBe(false);
      expect(takes(`{n:${t}}`, '.')).toBe(false);
    }
    expect(takes('{n:decimal}', '12.50')).toBe(true);
    expect(takes('{n:decimal}', '1e5')).toBe(false);
    expect(takes('{n:decimal}', '1' + '0'.repeat(30))).toBe(false);
  });

  it('datetime, bool, guid (N, D, B and P formats), alpha and regex', () => {
    expect(takes('{d:datetime}', '2024-05-02')).toBe(true);
    expect(takes('{d:datetime}', '2024-05-02T10:00:00Z')).toBe(true);
    expect(takes('{d:datetime}', 'yesterday')).toBe(false);
    expect(takes('{b:bool}', 'TRUE')).toBe(true);
    expect(takes('{b:bool}', 'yes')).toBe(false);
    const id = '0f8fad5b-d9cb-469f-a165-70867728950e';
    for (const g of [id, id.replace(/-/g, ''), `{${id}}`, `(${id})`]) expect(takes('{g:guid}', g)).toBe(true);
    expect(takes('{g:guid}', id.slice(1))).toBe(false);
    expect(takes('{g:guid}', `0f8fad5bd9cb-469f-a165-70867728950e`)).toBe(false);
    expect(takes('{a:alpha}', 'abcXYZ')).toBe(true);
    expect(takes('{a:alpha}', 'abc1')).toBe(false);
    // ASP.NET regex constraints are case-insensitive and unanchored; `{{`/`}}` escape braces.
    expect(takes('{c:regex(^[a-z]{{3}}$)}', 'ABC')).toBe(true);
    expect(takes('{c:regex(^[a-z]{{3}}$)}', 'abcd')).toBe(false);
    expect(takes('{c:regex(b)}', 'abc')).toBe(true);
  });

  it('min, max, range take whole numbers; length, minlength, maxlength count characters', () => {
    expect(takes('{n:min(10)}', '10')).toBe(true);
    expect(takes('{n:min(10)}', '9')).toBe(false);
    expect(takes('{n:min(10)}', 'ten')).toBe(false);
    expect(takes('{n:max(10)}', '-5')).toBe(true);
    expect(takes('{n:max(10)}', '11')).toBe(false);
    expect(takes('{n:range(1,3)}', '3')).toBe(true);
    expect(takes('{n:range(1,3)}', '4')).toBe(false);
    expect(takes('{s:length(3)}', 'abc')).toBe(true);
    expect(takes('{s:length(3)}', 'abcd')).toBe(false);
    expect(takes('{s:length(2,4)}', 'abcd')).toBe(true);
    expect(takes('{s:length(2,4)}', 'a')).toBe(false);
    expect(takes('{s:minlength(2)}', 'a')).toBe(false);
    expect(takes('{s:maxlength(2)}', 'abc')).toBe(false);
  });

  it('chains constraints, all of which must hold, and keeps the optional marker', () => {
    const route = compileRoute('items/{id:int:min(1)?}');
    expect(route.match('/items/5')).toEqual({ id: '5' });
    expect(route.match('/items/0')).toBeUndefined();
    expect(route.match('/items')).toEqual({});
  });

  it('refuses at start a constraint ASP.NET does not know, or one with bad arguments', () => {
    expect(() => compileRoute('x/{n:integer}')).toThrow(/integer.*not one ASP.NET routing knows/);
    expect(() => compileRoute('x/{n:min(a)}')).toThrow(/whole-number/);
    expect(() => compileRoute('x/{n:range(1)}')).toThrow(/2 whole-number arguments/);
  });
});
