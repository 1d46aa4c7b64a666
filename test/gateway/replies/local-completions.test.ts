import { describe, expect, it } from 'vitest';
import { completedOrTimeout, onCompleted, signalCompleted } from '../../../src/gateway/replies/local-completions.js';

describe('local completion signals', () => {
  it('wakes every waiter for the id once, and only for that id', () => {
    const woken: string[] = [];
    onCompleted('a', () => woken.push('a1'));
    onCompleted('a', () => woken.push('a2'));
    onCompleted('b', () => woken.push('b'));
    signalCompleted('a');
    signalCompleted('a');
    expect(woken).toEqual(['a1', 'a2']);
    signalCompleted('b');
    expect(woken).toEqual(['a1', 'a2', 'b']);
  });

  it('completedOrTimeout resolves at the signal, or at the timeout leaving no listener behind', async () => {
    const early = completedOrTimeout('c', 10_000);
    signalCompleted('c');
    expect(await early).toBe('signalled');
    expect(await completedOrTimeout('d', 5)).toBe('timeout');
    let fired = false;
    const off = onCompleted('d', () => (fired = true));
    off();
    signalCompleted('d');
    expect(fired).toBe(false);
  });
});
