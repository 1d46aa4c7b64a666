import { describe, expect, it } from 'vitest';
import { onCompleted, signalCompleted, watchCompletion } from '../../../src/gateway/replies/local-completions.js';
import type { FinalState } from '../../../src/gateway/request-state.js';

const answered = (replyId: string): FinalState => ({
  kind: 'answered',
  reply: { replyId, status: 200, contentType: 'text/plain', receivedAt: '2025-01-01T00:00:00Z', body: '' },
});

describe('local completion signals', () => {
  it('wakes every waiter for the id once, with the signalled state, and only for that id', () => {
    const woken: string[] = [];
    onCompleted('a', (s) => woken.push(`a1:${s.kind}`));
    onCompleted('a', () => woken.push('a2'));
    onCompleted('b', () => woken.push('b'));
    // Says whether anyone was woken: the delivery lets a woken caller's answer go out first.
    expect(signalCompleted('a', answered('r1'))).toBe(true);
    expect(signalCompleted('a', answered('r2'))).toBe(false);
    expect(woken).toEqual(['a1:answered', 'a2']);
    signalCompleted('b', { kind: 'canceled', reason: '' });
    expect(woken).toEqual(['a1:answered', 'a2', 'b']);
  });

  it('a watch keeps a signal that came between naps, ends a nap at the signal, and leaves no listener once stopped', async () => {
    const early = watchCompletion('c');
    signalCompleted('c', answered('rc'));
    // Signalled before the nap: it does not sleep at all.
    await early.nap(60_000);
    expect(early.state).toEqual(answered('rc'));
    early.stop();

    const during = watchCompletion('d');
    const napping = during.nap(60_000);
    signalCompleted('d', answered('rd'));
    await napping;
    expect(during.state).toEqual(answered('rd'));
    during.stop();

    const quiet = watchCompletion('e');
    await quiet.nap(5);
    expect(quiet.state).toBeUndefined();
    quiet.stop();
    let fired = false;
    const off = onCompleted('e', () => (fired = true));
    off();
    signalCompleted('e', answered('re'));
    // Stopped watches and unsubscribed listeners see nothing.
    expect(fired).toBe(false);
    expect(quiet.state).toBeUndefined();
  });
});
