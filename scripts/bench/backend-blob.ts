// Backend simulator for the blob channel: lists the requests container every `pollMs`, hands
// each new request to the ReplyDesk and removes it (so listings stay short), and replies with a
// blob `replies/{id}.json`, which the host's blob trigger picks up on its next poll.

import { setTimeout as sleep } from 'node:timers/promises';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import type { ReplyDesk } from './reply-desk.js';
import { replyBody } from './target.js';

export interface Backend {
  stop(): Promise<void>;
}

export interface BlobBackendOptions {
  connection: string;
  requests: string;
  replies: string;
  pollMs: number;
}

export async function startBlobBackend(desk: ReplyDesk, options: BlobBackendOptions): Promise<Backend> {
  const service = BlobServiceClient.fromConnectionString(options.connection);
  const requests = service.getContainerClient(options.requests);
  const replies = service.getContainerClient(options.replies);
  await Promise.all([requests.createIfNotExists(), replies.createIfNotExists()]);
  const abort = new AbortController();
  const cleanups = new Set<Promise<unknown>>();
  let lastError = '';

  const reply = (id: string) => () =>
    replies
      .getBlockBlobClient(`${id}.json`)
      .uploadData(replyBody(id), { blobHTTPHeaders: { blobContentType: 'application/json' } })
      .then(() => undefined);

  const poll = async (container: ContainerClient): Promise<void> => {
    for await (const page of container.listBlobsFlat().byPage({ maxPageSize: 5000 })) {
      for (const item of page.segment.blobItems) {
        if (!desk.receive(item.name, reply(item.name))) continue;
        const removal = container
          .deleteBlob(item.name)
          .catch(() => undefined)
          .finally(() => cleanups.delete(removal));
        cleanups.add(removal);
      }
    }
  };

  const loop = (async () => {
    while (!abort.signal.aborted) {
      try {
        await poll(requests);
        lastError = '';
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (message !== lastError) console.error(`bench: blob backend: listing ${options.requests} failed: ${message}`);
        lastError = message;
      }
      await sleep(options.pollMs, undefined, { signal: abort.signal }).catch(() => undefined);
    }
  })();

  return {
    async stop() {
      abort.abort();
      await loop;
      await Promise.all(cleanups);
    },
  };
}
