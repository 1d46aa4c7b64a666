// Retention decided and ordered: which instances are due, which blob names are a request's, and
// that a request's blobs are deleted before its history, at most RETENTION_MAX_PER_RUN per run.
import type { DurableOrchestrationStatus } from 'durable-functions';
import { describe, expect, it } from 'vitest';
import type { ListedBlob } from '../../src/gateway/blob-store.js';
import { isRequestBlobName, requestBlobPlaces } from '../../src/gateway/request-blobs.js';
import { dueForPurge, purgeFinishedRequests, RETENTION_MAX_PER_RUN } from '../../src/gateway/retention.js';

const HOUR = 3_600_000;
const NOW = Date.parse('2026-12-02T12:00:00Z');

function status(id: string, runtimeStatus: string, finishedHoursAgo: number, name = 'gatewayOrchestrator'): DurableOrchestrationStatus {
  return {
    name,
    instanceId: id,
    runtimeStatus,
    createdTime: new Date(NOW - (finishedHoursAgo + 1) * HOUR),
    lastUpdatedTime: new Date(NOW - finishedHoursAgo * HOUR),
  } as unknown as DurableOrchestrationStatus;
}

describe('dueForPurge', () => {
  it('takes the gateway requests that finished at or before the cutoff, nothing running, nothing foreign', () => {
    const cutoff = new Date(NOW - 24 * HOUR);
    const due = dueForPurge(
      [
        status('done-old', 'Completed', 25),
        status('failed-old', 'Failed', 24),
        status('ended-old', 'Terminated', 30),
        status('done-recent', 'Completed', 23),
        status('running-old', 'Running', 30),
        status('suspended-old', 'Suspended', 30),
        status('other-old', 'Completed', 30, 'someoneElsesOrchestrator'),
        status('bad/id', 'Completed', 30),
      ],
      cutoff,
    );
    expect(due).toEqual(['done-old', 'ended-old', 'failed-old']);
  });
});

describe('request blob names', () => {
  it('are the id, or the id followed by "/" or "."; never a longer id, never the secret', () => {
    for (const name of ['abc', 'abc.json', 'abc.json/0x8D1', 'abc/uuid', 'abc.idempotency'])
      expect(isRequestBlobName(name, 'abc')).toBe(true);
    for (const name of ['abcd', 'abc-1', 'ab', 'x/abc']) expect(isRequestBlobName(name, 'abc')).toBe(false);
    expect(isRequestBlobName('idempotency-key-secret', 'idempotency-key-secret')).toBe(false);
    expect(isRequestBlobName('idempotency/abc', 'abc', 'idempotency/')).toBe(true);
    for (const name of ['idempotency/abcd', 'abc', 'other/abc']) expect(isRequestBlobName(name, 'abc', 'idempotency/')).toBe(false);
  });

  it('are looked for in the requests, reply-bodies and gateway containers, and the idempotency records', () => {
    expect(requestBlobPlaces({ requestsContainer: 'requests', replyBodiesContainer: 'reply-bodies', gatewayContainer: 'gateway' })).toEqual(
      [
        { container: 'requests', folder: '' },
        { container: 'reply-bodies', folder: '' },
        { container: 'gateway', folder: '' },
        { container: 'gateway', folder: 'idempotency/' },
      ],
    );
  });
});

describe('purgeFinishedRequests', () => {
  function fakes(ids: string[], blobs: Record<string, string[]>) {
    const calls: string[] = [];
    const listed = (container: string, name: string): ListedBlob => ({
      container,
      name,
      size: 1,
      contentType: 'text/plain',
      metadata: {},
      etag: '"1"',
      lastModified: new Date(0),
    });
    return {
      calls,
      deps: {
        durable: {
          getStatusBy: () => Promise.resolve(ids.map((id) => status(id, 'Completed', 48))),
          purgeInstanceHistory: (id: string) => {
            calls.push(`purge ${id}`);
            return Promise.resolve({ instancesDeleted: 1 });
          },
        },
        blobs: {
          listPage: (container: string, o: { prefix?: string }) =>
            Promise.resolve({
              blobs: (blobs[container] ?? []).filter((n) => n.startsWith(o.prefix ?? '')).map((n) => listed(container, n)),
            }),
          remove: (blob: { container: string; name: string }) => {
            calls.push(`delete ${blob.container}/${blob.name}`);
            return Promise.resolve();
          },
        },
        places: [
          { container: 'requests', folder: '' },
          { container: 'reply-bodies', folder: '' },
        ],
        now: () => NOW,
      },
    };
  }

  it("deletes a request's blobs before its history, and only its own", async () => {
    const { calls, deps } = fakes(['abc'], { requests: ['abc', 'abcd'], 'reply-bodies': ['abc.json/0x1', 'abcd/0x2'] });
    let asked: unknown;
    const report = await purgeFinishedRequests(
      {
        ...deps,
        durable: {
          ...deps.durable,
          getStatusBy: (filter: unknown) => {
            asked = filter;
            return deps.durable.getStatusBy();
          },
        },
      },
      24,
    );
    expect(calls).toEqual(['delete requests/abc', 'delete reply-bodies/abc.json/0x1', 'purge abc']);
    // Created before the cutoff, finished, and without the request bodies.
    expect(asked).toEqual({
      createdTimeTo: new Date(NOW - 24 * HOUR),
      runtimeStatus: ['Completed', 'Failed', 'Terminated'],
      showInput: 'false',
    });
    expect(report).toEqual({ purged: 1, blobsDeleted: 2, remaining: 0 });
  });

  it('keeps everything at 0, and leaves what is over the per-run bound for the next run', async () => {
    const none = fakes(['abc'], { requests: ['abc'] });
    expect(await purgeFinishedRequests(none.deps, 0)).toEqual({ purged: 0, blobsDeleted: 0, remaining: 0 });
    expect(none.calls).toEqual([]);

    const ids = Array.from({ length: RETENTION_MAX_PER_RUN + 3 }, (_, i) => `r${String(i).padStart(5, '0')}`);
    const many = fakes(ids, {});
    const report = await purgeFinishedRequests(many.deps, 24);
    expect(report).toEqual({ purged: RETENTION_MAX_PER_RUN, blobsDeleted: 0, remaining: 3 });
  });
});
