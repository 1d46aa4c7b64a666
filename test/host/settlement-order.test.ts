// The order of the Service Bus trigger's settlements (settlement-order.ts): completes may go out
// side by side, anything else runs alone, first come first served, so rhea never writes a
// complete and another outcome in the same tick.
import { describe, expect, it } from 'vitest';
import { type SettlementKind, settlementOrder } from '../../src/host/triggers/servicebus/settlement-order.js';

/** A settlement the test finishes by hand, recording when it started. */
function gated(log: string[], name: string) {
  let finish!: (ok: boolean) => void;
  const op = () =>
    new Promise<void>((resolve, reject) => {
      log.push(`start ${name}`);
      finish = (ok) => (ok ? resolve() : reject(new Error(`${name} refused`)));
    });
  return { op, finish: (ok = true) => finish(ok) };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('settlement order', () => {
  it('runs completes side by side and holds an abandon until every complete before it has finished', async () => {
    const order = settlementOrder();
    const log: string[] = [];
    const [c1, c2, a, c3] = ['c1', 'c2', 'a', 'c3'].map((n) => gated(log, n)) as [
      ReturnType<typeof gated>,
      ReturnType<typeof gated>,
      ReturnType<typeof gated>,
      ReturnType<typeof gated>,
    ];
    const kinds: [ReturnType<typeof gated>, SettlementKind][] = [
      [c1, 'complete'],
      [c2, 'complete'],
      [a, 'exclusive'],
      [c3, 'complete'],
    ];
    const outcomes = Promise.allSettled(kinds.map(([g, kind]) => order.run(kind, g.op)));
    await turn();
    expect(log).toEqual(['start c1', 'start c2']);
    c1.finish();
    await turn();
    expect(log).toEqual(['start c1', 'start c2']);
    c2.finish();
    await turn();
    // The complete behind the abandon waits for it: first come, first served.
    expect(log).toEqual(['start c1', 'start c2', 'start a']);
    a.finish(false);
    await turn();
    expect(log).toEqual(['start c1', 'start c2', 'start a', 'start c3']);
    c3.finish();
    expect((await outcomes).map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    await order.idle();
  });

  it('gives two exclusive settlements a turn each, and idle() waits for the last', async () => {
    const order = settlementOrder();
    const log: string[] = [];
    const first = gated(log, 'first');
    const second = gated(log, 'second');
    void order.run('exclusive', first.op);
    const last = order.run('exclusive', second.op);
    let idle = false;
    void order.idle().then(() => (idle = true));
    await turn();
    expect(log).toEqual(['start first']);
    first.finish();
    await turn();
    expect(log).toEqual(['start first', 'start second']);
    expect(idle).toBe(false);
    second.finish();
    await last;
    await turn();
    expect(idle).toBe(true);
  });

  it('frees the turn of a settlement that throws before it is under way', async () => {
    const order = settlementOrder();
    const thrown = order.run('exclusive', () => {
      throw new Error('no receiver');
    });
    await expect(thrown).rejects.toThrow('no receiver');
    await expect(order.run('complete', () => Promise.resolve())).resolves.toBeUndefined();
  });
});
