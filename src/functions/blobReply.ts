// Blob trigger on the replies container: a backend answers request `abc` by writing `abc` or
// `abc.json` (content type from the blob, optional metadata `status`). Delivery, retries and
// setting aside are in gateway/replies/ (start at blob-channel.ts); this file only wires the
// trigger to it.

import { setTimeout as sleep } from 'node:timers/promises';
import type { InvocationContext } from '@azure/functions';
import type { DurableClient } from 'durable-functions';
import { blobStoreFor } from '../gateway/blob-store.js';
import { clientFunctions } from '../gateway/client-functions.js';
import { getConfig, parseBlobTriggerSource, STORAGE_CONNECTION_SETTING } from '../gateway/config.js';
import { GatewayDurable } from '../gateway/durable-port.js';
import { deliverBlobReply } from '../gateway/replies/blob-channel.js';
import { traceReply } from '../gateway/telemetry/spans.js';

// `name` is the `{name}` of the trigger path; `blobTrigger` (container/name) is the fallback.
function blobNameOf(context: InvocationContext, container: string): string {
  const metadata = context.triggerMetadata ?? {};
  if (typeof metadata.name === 'string') return metadata.name;
  const path = metadata.blobTrigger;
  if (typeof path === 'string' && path.startsWith(`${container}/`)) return path.slice(container.length + 1);
  throw new Error('blob trigger metadata has neither name nor blobTrigger');
}

// The trigger's bytes and properties are used when they can be tied to one version (their content
// MD5); otherwise the delivery reads the blob again by ETag (blob-channel.ts, triggeredVersion).
export const blobReply = async (blob: unknown, client: DurableClient, context: InvocationContext): Promise<void> => {
  const config = getConfig();
  const name = blobNameOf(context, config.repliesContainer);
  // The reply blob's metadata `traceparent`, as the trigger read it (metadata keys come lowercase).
  const metadata = context.triggerMetadata ?? {};
  const traceparent = (metadata.metadata as Record<string, unknown> | undefined)?.traceparent;
  const outcome = await traceReply({ channel: 'blob', invocation: context, traceparent }, new GatewayDurable(client), (durable) =>
    deliverBlobReply(
      name,
      {
        durable,
        blobs: blobStoreFor(config.storageConnection),
        config,
        sleep: (ms) => sleep(ms),
        now: () => Date.now(),
      },
      { content: blob, properties: metadata.properties, metadata: metadata.metadata },
    ),
  );
  switch (outcome.result) {
    case 'setAside':
      context.warn(`reply ${name} set aside as ${outcome.reason} (${outcome.detail}) → ${config.rejectedContainer}/${outcome.movedTo}`);
      break;
    case 'gone':
      context.log(`reply ${name} no longer exists in that version; nothing to do`);
      break;
    default:
      context.log(`reply ${name} ${outcome.result} to request ${outcome.requestId}`);
  }
};

clientFunctions.storageBlob('blobReply', {
  // %...% is resolved from app settings by the Functions host, so the trigger and the code agree.
  path: '%GATEWAY_REPLIES_CONTAINER%/{name}',
  connection: STORAGE_CONNECTION_SETTING,
  // EventGrid on Flex Consumption (its only source) and Consumption (polling is slow when idle);
  // GATEWAY_BLOB_TRIGGER_SOURCE chooses, and the README says which plan wants which.
  source: parseBlobTriggerSource(process.env),
  handler: blobReply,
});
