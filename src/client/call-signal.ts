// One AbortSignal per call that fires on the caller's own signal or on the call's deadline, with
// a reason that says which (the caller's reason, else DeadlineExceededError). Built by hand rather
// than with AbortSignal.any/timeout so older browsers work and the deadline timer is cleared.
import { DeadlineExceededError } from './errors.js';

export interface CallSignal {
  signal: AbortSignal;
  dispose: () => void;
}

export function callSignal(outer: AbortSignal | undefined, deadlineMs: number | undefined): CallSignal {
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(outer?.reason);
  if (outer?.aborted === true) onAbort();
  else outer?.addEventListener('abort', onAbort, { once: true });
  const timer =
    deadlineMs === undefined ? undefined : setTimeout(() => controller.abort(new DeadlineExceededError(deadlineMs)), deadlineMs);
  return {
    signal: controller.signal,
    dispose: () => {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
    },
  };
}
