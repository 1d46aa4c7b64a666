import { describe, expect, it } from 'vitest';
import { toWorkerMetadata } from '../../src/host/triggers/worker-metadata.js';

/** Trigger metadata as the Node worker hands it over: strings JSON-parsed when they parse, kept otherwise. */
describe('toWorkerMetadata', () => {
  it('parses exactly the strings JSON.parse takes, and keeps every other one as it is', () => {
    const samples = [
      '123',
      '-0.5e+3',
      ' 42 ',
      'true',
      'false',
      'null',
      '"quoted"',
      '{"a":1}',
      '[1,2]',
      '\n\t{ "b": [true] }\r ',
      '3f2a9c1e-0000-4000-8000-000000000001',
      '2026-12-02T15:48:52.504Z',
      '012',
      '1.',
      '.5',
      '+1',
      'True',
      'nulls',
      '{not json',
      '\u00a0 1',
      '',
      'plain text',
    ];
    for (const text of samples) {
      let expected: unknown;
      try {
        expected = JSON.parse(text);
      } catch {
        expected = text;
      }
      expect(toWorkerMetadata({ Value: text })).toEqual({ value: expected });
    }
  });
});
