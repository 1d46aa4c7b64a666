// `npm run test:browser`: the console in headless Chromium (Debian's package), apart from `npm test`,
// which needs no browser and never picks these files up (they end in .browser.ts).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/browser/**/*.browser.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    maxWorkers: 1,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
