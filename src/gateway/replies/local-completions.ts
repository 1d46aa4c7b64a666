// An in-process shortcut for the last hop. A waiting submit call learns that its instance finished
// by polling the Durable status; when the reply function that delivered the reply runs in the same
// process (always on the local host, often on Azure), it says so directly and the caller is
// answered at once. Across processes nothing changes: the poll still finds the outcome.

type Listener = () => void;

const listeners = new Map<string, Set<Listener>>();

/** Calls `listener` once when `signalCompleted(id)` is called in this process; returns the unsubscribe. */
export function onCompleted(id: string, listener: Listener): () => void {
  let set = listeners.get(id);
  if (!set) listeners.set(id, (set = new Set()));
  set.add(listener);
  return () => {
    set.delete(listener);
    if (set.size === 0 && listeners.get(id) === set) listeners.delete(id);
  };
}

/** The instance took its reply and completed: wake whoever waits for it here. */
export function signalCompleted(id: string): void {
  const set = listeners.get(id);
  if (!set) return;
  listeners.delete(id);
  for (const listener of set) listener();
}

/** Resolves at the signal or after `ms`, whichever is first; never leaves a listener behind. */
export function completedOrTimeout(id: string, ms: number): Promise<'signalled' | 'timeout'> {
  return new Promise((resolve) => {
    const off = onCompleted(id, () => {
      clearTimeout(timer);
      resolve('signalled');
    });
    const timer = setTimeout(() => {
      off();
      resolve('timeout');
    }, ms);
  });
}
