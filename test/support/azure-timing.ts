// Azure timing for the tests: the local host's mode in which Durable client operations (start,
// raise, terminate, suspend, resume) are acknowledged at once and applied after a delay, and racing
// starts of one id are both accepted, as on the Azure Storage provider (docs/local-host.md).
// `E2E_AZURE_TIMING_MS` switches it on for every host the test support starts; vitest.config.mts
// runs the files listed here a second time with it set.
import type { HostOptions } from '../../src/host/host.js';

export const AZURE_TIMING_ENV = 'E2E_AZURE_TIMING_MS';

/**
 * The delay the second run uses: long enough that every acknowledgement visibly precedes its
 * effect (a raise answered while the instance still shows the old state), short enough for the suite.
 */
export const AZURE_TIMING_TEST_DELAY_MS = 500;

/** The e2e files that must pass in Azure timing too (the gateway's sync, async, late-reply and Idempotency-Key paths). */
export const AZURE_TIMING_FILES = [
  'test/e2e/sync.test.ts',
  'test/e2e/async.test.ts',
  'test/e2e/replies.test.ts',
  // Idempotency must not lean on a refused second start: in this mode both racing starts are accepted.
  'test/e2e/idempotency.test.ts',
];

/** The host option the environment asks for: undefined unless `E2E_AZURE_TIMING_MS` is set. */
export function azureTimingFromEnv(env: NodeJS.ProcessEnv = process.env): HostOptions['azureTiming'] {
  const raw = env[AZURE_TIMING_ENV];
  if (raw === undefined || raw === '') return undefined;
  const delayMs = Number(raw);
  if (!Number.isInteger(delayMs) || delayMs < 0) throw new Error(`${AZURE_TIMING_ENV} must be a whole number of ms, got "${raw}".`);
  return { delayMs };
}
