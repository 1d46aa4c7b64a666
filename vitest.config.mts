import { defineConfig } from 'vitest/config';
import { AZURE_TIMING_ENV, AZURE_TIMING_FILES, AZURE_TIMING_TEST_DELAY_MS } from './test/support/azure-timing.js';

export default defineConfig({
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    // Integration suites start Azurite, the host and the Service Bus endpoint as real processes;
    // two cores run two files at a time without starving those servers.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: 'local', include: ['test/**/*.test.ts'] } },
      // The same files again with the host in Azure timing: client operations queued, as on Azure Storage.
      {
        extends: true,
        test: { name: 'azure-timing', include: AZURE_TIMING_FILES, env: { [AZURE_TIMING_ENV]: String(AZURE_TIMING_TEST_DELAY_MS) } },
      },
    ],
  },
});
