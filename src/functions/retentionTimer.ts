// Every 5 minutes: purges the finished requests older than GATEWAY_RETENTION_HOURS with their
// blobs (gateway/retention.ts), and deletes the set-aside replies older than
// GATEWAY_REJECTED_RETENTION_HOURS (gateway/rejected/). Either setting at 0 keeps that kind.
// `POST /admin/functions/retentionTimer` runs it at once (the admin API, master key).
import type { InvocationContext, Timer } from '@azure/functions';
import type { DurableClient } from 'durable-functions';
import { blobStoreFor } from '../gateway/blob-store.js';
import { clientFunctions } from '../gateway/client-functions.js';
import { getConfig } from '../gateway/config.js';
import { rejectedCatalogueFor } from '../gateway/rejected/rejected-places.js';
import { requestBlobPlaces } from '../gateway/request-blobs.js';
import { hoursAgo, purgeFinishedRequests, RETENTION_MAX_PER_RUN } from '../gateway/retention.js';

export const retentionTimer = async (_timer: Timer, client: DurableClient, context: InvocationContext): Promise<void> => {
  const config = getConfig();
  const report = await purgeFinishedRequests(
    { durable: client, blobs: blobStoreFor(config.storageConnection), places: requestBlobPlaces(config), now: Date.now },
    config.retentionHours,
  );
  context.log(
    `retention: purged ${report.purged} finished requests and ${report.blobsDeleted} of their blobs` +
      (report.remaining > 0 ? `; ${report.remaining} more are due and wait for the next run` : ''),
  );
  if (config.rejectedRetentionHours > 0) {
    const expired = await rejectedCatalogueFor(config).expire(hoursAgo(Date.now(), config.rejectedRetentionHours), RETENTION_MAX_PER_RUN);
    context.log(`retention: deleted ${expired} set-aside replies older than ${config.rejectedRetentionHours} h`);
  }
};

clientFunctions.timer('retentionTimer', {
  // Second 17, not 0: out of step with the many timers that fire on the minute.
  schedule: '17 */5 * * * *',
  handler: retentionTimer,
});
