/**
 * Bounded waits for the engine and the view: a stop or a read may wait for work in flight, but a
 * storage that no longer answers (or an episode that never ends) must not hold it forever.
 */

/** Resolves when `work` does (true) or `ms` have passed (false), whichever is first; the timer never holds the process. */
export function atMost(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    timer.unref();
  });
  return Promise.race([work.then(() => true), limit]).finally(() => clearTimeout(timer));
}
