// Retention of finished requests: GATEWAY_RETENTION_HOURS after a request finished (answered,
// timed out, canceled, failed) its blobs (request-blobs.ts) are deleted and then its Durable
// history is purged, so its status and result become 404 and storage stops growing. Run by
// functions/retentionTimer.ts, in bounded batches so one run stays short whatever the backlog.
//
// Blobs go first and the instance last, each instance on its own (purgeInstanceHistory by id,
// not purgeInstanceHistoryBy): a filter purge selects by creation time and would also take an
// instance that finished after its blobs were looked up, leaving them behind with no record of
// whose they were. This way a crash half way leaves a finished instance that the next run finds
// and finishes; its blobs are never orphaned.
import {
  type DurableClient,
  type DurableOrchestrationStatus,
  type OrchestrationFilter,
  OrchestrationRuntimeStatus,
} from 'durable-functions';
import type { BlobStore } from './blob-store.js';
import { isRequestId, ORCHESTRATOR_NAME } from './contract.js';
import { isRequestBlobName, type RequestBlobPlace } from './request-blobs.js';

/** Requests whose blobs and history are removed concurrently. */
export const RETENTION_BATCH = 16;
/** At most this many requests per run; the rest wait for the next run. */
export const RETENTION_MAX_PER_RUN = 2_000;
const LIST_PAGE = 100;

// Durable's runtime never produces `Canceled` (the gateway's "canceled" is a terminate), and the
// local host refuses it in a filter; the three final statuses are these.
const FINISHED = [OrchestrationRuntimeStatus.Completed, OrchestrationRuntimeStatus.Failed, OrchestrationRuntimeStatus.Terminated];

export interface RetentionDeps {
  durable: Pick<DurableClient, 'getStatusBy' | 'purgeInstanceHistory'>;
  blobs: Pick<BlobStore, 'listPage' | 'remove'>;
  /** Where a request's blobs may be (requestBlobPlaces). */
  places: readonly RequestBlobPlace[];
  now: () => number;
}

export interface RetentionReport {
  /** Requests purged by this run. */
  purged: number;
  blobsDeleted: number;
  /** Requests due but left for the next run (over RETENTION_MAX_PER_RUN). */
  remaining: number;
}

export function hoursAgo(now: number, hours: number): Date {
  return new Date(now - hours * 3_600_000);
}

/** The requests due for purging at `cutoff`: the gateway's own, finished at or before it. */
export function dueForPurge(statuses: readonly DurableOrchestrationStatus[], cutoff: Date): string[] {
  return statuses
    .filter(
      (s) =>
        s.name === ORCHESTRATOR_NAME &&
        isRequestId(s.instanceId) &&
        FINISHED.includes(s.runtimeStatus) &&
        new Date(s.lastUpdatedTime).getTime() <= cutoff.getTime(),
    )
    .map((s) => s.instanceId)
    .sort();
}

/** Deletes every blob of request `id` in `place`; answers how many. */
async function deleteBlobsOf(blobs: RetentionDeps['blobs'], place: RequestBlobPlace, id: string): Promise<number> {
  let deleted = 0;
  let marker: string | undefined;
  do {
    // The prefix narrows the listing; the rule (isRequestBlobName) keeps `abc` from taking `abcd`'s.
    const page = await blobs.listPage(place.container, { prefix: place.folder + id, marker, size: LIST_PAGE });
    for (const blob of page.blobs) {
      if (!isRequestBlobName(blob.name, id, place.folder)) continue;
      await blobs.remove(blob);
      deleted++;
    }
    marker = page.marker;
  } while (marker !== undefined);
  return deleted;
}

/**
 * The query for finished instances created before `cutoff`, without their inputs: a backlog of
 * requests with 1 MiB bodies would otherwise come back whole. The SDK adds `showInput` to the
 * local RPC endpoint's query only when it is truthy (so `false` asks for every input), hence the
 * string, which reaches the query as `showInput=false`.
 */
export function finishedBefore(cutoff: Date): OrchestrationFilter {
  return { createdTimeTo: cutoff, runtimeStatus: FINISHED, showInput: 'false' } as OrchestrationFilter;
}

export async function purgeFinishedRequests(deps: RetentionDeps, retentionHours: number): Promise<RetentionReport> {
  if (retentionHours <= 0) return { purged: 0, blobsDeleted: 0, remaining: 0 };
  const cutoff = hoursAgo(deps.now(), retentionHours);
  // Finished at or before the cutoff implies created before it: the filter narrows, dueForPurge decides.
  const statuses = await deps.durable.getStatusBy(finishedBefore(cutoff));
  const due = dueForPurge(statuses, cutoff);
  const now = due.slice(0, RETENTION_MAX_PER_RUN);
  const report: RetentionReport = { purged: 0, blobsDeleted: 0, remaining: due.length - now.length };
  for (let i = 0; i < now.length; i += RETENTION_BATCH) {
    await Promise.all(
      now.slice(i, i + RETENTION_BATCH).map(async (id) => {
        for (const place of deps.places) report.blobsDeleted += await deleteBlobsOf(deps.blobs, place, id);
        const result = await deps.durable.purgeInstanceHistory(id);
        report.purged += result.instancesDeleted;
      }),
    );
  }
  return report;
}
