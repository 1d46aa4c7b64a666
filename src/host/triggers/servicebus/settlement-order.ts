// The order the trigger's settlements reach the broker in. rhea (on the SDK's side) coalesces
// dispositions of adjacent deliveries written in the same tick into one frame carrying the first
// one's outcome, so a complete beside an abandon could go out as two completes
// (docs/servicebus-amqp-contract.md#6-dispositions-and-the-rhea-coalescing-pitfall). Completes
// carry no properties, so two of them merged into one frame still say exactly what each asked:
// they may run side by side. Every other settlement (abandon, dead-letter, defer: outcomes that
// carry their own properties) and a lock renewal runs alone, after everything before it finished
// and before anything after it starts. Completing one at a time cost each message a broker round
// trip of waiting and a disposition frame of its own on both ends.

/** A settlement: `complete` ones may overlap each other; anything else runs alone. */
export type SettlementKind = 'complete' | 'exclusive';

export type SettleInOrder = (kind: SettlementKind, op: () => Promise<void>) => Promise<void>;

export interface SettlementOrder {
  run: SettleInOrder;
  /** Resolves once every settlement asked for so far has finished (the listener's stop). */
  idle(): Promise<void>;
}

/** One order per receiver link: first come, first sent, completes in a row together. */
export function settlementOrder(): SettlementOrder {
  let runningKind: SettlementKind | undefined;
  let running = 0;
  const waiting: { kind: SettlementKind; start: () => void }[] = [];
  let idlers: (() => void)[] = [];

  const admit = () => {
    while (waiting.length > 0) {
      const next = waiting[0] as (typeof waiting)[number];
      if (running > 0 && (next.kind === 'exclusive' || runningKind === 'exclusive')) return;
      waiting.shift();
      runningKind = next.kind;
      running++;
      next.start();
    }
  };
  const finished = () => {
    running--;
    admit();
    if (running === 0 && waiting.length === 0) {
      const woken = idlers;
      idlers = [];
      for (const wake of woken) wake();
    }
  };

  const run: SettleInOrder = (kind, op) =>
    new Promise<void>((resolve, reject) => {
      const start = () => {
        // A throwing op still frees its turn; its error is the caller's.
        void Promise.resolve().then(op).then(resolve, reject).finally(finished);
      };
      // A complete joins the completes already running only when nothing waits before it, so an
      // abandon that is waiting is not held back by a stream of later completes.
      waiting.push({ kind, start });
      admit();
    });
  const idle = () => (running === 0 && waiting.length === 0 ? Promise.resolve() : new Promise<void>((resolve) => idlers.push(resolve)));
  return { run, idle };
}
