// An in-process shortcut for the last hop. A waiting submit call learns that its instance finished
// by polling the Durable status; when the reply function that delivered the reply runs in the same
// process (always on the local host, often on Azure), it says so directly, with the final state it
// confirmed, and the caller is answered at once without another status read. Across processes
// nothing changes: the caller's safety poll (safety-poll.ts) still finds the outcome.
import type { FinalState } from '../request-state.js';

type Listener = (state: FinalState) => void;

const listeners = new Map<string, Set<Listener>>();

/** Calls `listener` once when `signalCompleted(id, …)` is called in this process; returns the unsubscribe. */
export function onCompleted(id: string, listener: Listener): () => void {
  let set = listeners.get(id);
  if (!set) listeners.set(id, (set = new Set()));
  set.add(listener);
  return () => {
    set.delete(listener);
    if (set.size === 0 && listeners.get(id) === set) listeners.delete(id);
  };
}

/** The instance took its reply and completed in `state`: wake whoever waits for it here; true if anyone did. */
export function signalCompleted(id: string, state: FinalState): boolean {
  const set = listeners.get(id);
  if (!set) return false;
  listeners.delete(id);
  for (const listener of set) listener(state);
  return true;
}

/** A subscription that lasts a whole wait, so a signal between two naps (or during a read) is kept. */
export interface CompletionWatch {
  /** The signalled state, once there is one. */
  readonly state: FinalState | undefined;
  /** Sleeps `ms`, or less if the signal comes (or came already). */
  nap(ms: number): Promise<void>;
  /** Unsubscribes and ends a running nap; call it when the wait ends, however it ends. */
  stop(): void;
}

export function watchCompletion(id: string): CompletionWatch {
  let state: FinalState | undefined;
  let wake: (() => void) | undefined;
  const off = onCompleted(id, (signalled) => {
    state = signalled;
    wake?.();
  });
  return {
    get state() {
      return state;
    },
    nap: (ms) =>
      state !== undefined
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            const timer = setTimeout(() => {
              wake = undefined;
              resolve();
            }, ms);
            wake = () => {
              clearTimeout(timer);
              wake = undefined;
              resolve();
            };
          }),
    stop: () => {
      off();
      wake?.();
    },
  };
}
