import type { Registry } from './registry.js';

/**
 * host.json `functionTimeout`, enforced as the Functions host enforces it: an invocation still
 * running when the timeout passes is failed with the host's message ("Timeout value of … exceeded
 * by function …"), so its trigger sees a failure (HTTP 500, a Service Bus message abandoned, a
 * blob retried). JavaScript cannot be cancelled from outside: the handler's promise keeps running
 * in the background, where the real host would restart the worker process.
 */
export function enforceFunctionTimeout(
  registry: Registry,
  timeoutMs: number,
  timeoutText: string,
  log: (level: string, message: string) => void,
): () => void {
  return registry.addHook('preInvocation', (core) => {
    const pre = core as {
      invocationContext: { functionName: string; invocationId: string };
      functionCallback: (...args: unknown[]) => unknown;
    };
    const callback = pre.functionCallback;
    pre.functionCallback = (...args: unknown[]) => {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => {
          const { functionName, invocationId } = pre.invocationContext;
          const message = `Timeout value of ${timeoutText} exceeded by function 'Functions.${functionName}' (Id: '${invocationId}'). Initiating cancellation.`;
          log('error', message);
          reject(new Error(message));
        }, timeoutMs);
      });
      return Promise.race([Promise.resolve().then(() => callback(...args)), timedOut]).finally(() => clearTimeout(timer));
    };
  });
}
