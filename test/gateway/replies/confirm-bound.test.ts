// The reply path's confirmation wait against the Durable provider's polling bound: on Azure a
// raised reply reaches an idle instance only at the next control-queue poll, which backs off to
// host.json's maxQueuePollingInterval; a wait no longer than that bound would give up on replies
// that are merely queued (issue #11). host.json sets the bound; this keeps the two apart.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIRM_TIMEOUT_MS } from '../../../src/gateway/replies/delivery.js';

/** `hh:mm:ss[.fff]`, the TimeSpan form host.json uses. */
function timeSpanMs(text: string): number {
  const m = /^(\d+):(\d\d):(\d\d(?:\.\d+)?)$/.exec(text);
  if (!m) throw new Error(`not a TimeSpan: ${text}`);
  return (Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3])) * 1000;
}

describe('the reply confirmation wait', () => {
  it("outlasts the app's maxQueuePollingInterval several times over", () => {
    const hostJson = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../host.json'), 'utf8')) as {
      extensions: { durableTask: { storageProvider?: { maxQueuePollingInterval?: string } } };
    };
    const bound = hostJson.extensions.durableTask.storageProvider?.maxQueuePollingInterval;
    expect(
      bound,
      'host.json sets storageProvider.maxQueuePollingInterval (the provider default, 30 s, is too slow for sync callers)',
    ).toBeDefined();
    const boundMs = timeSpanMs(bound ?? '');
    expect(boundMs).toBeLessThanOrEqual(5_000);
    // The raise waits for one poll at most, then an episode; a few polls of slack covers a busy worker.
    expect(CONFIRM_TIMEOUT_MS).toBeGreaterThanOrEqual(5 * boundMs);
  });
});
