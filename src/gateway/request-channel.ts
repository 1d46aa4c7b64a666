// How a request reaches the backend, chosen by GATEWAY_REQUEST_CHANNEL. The Service Bus channel
// plugs in here later as a third implementation of RequestChannel.
import { blobStoreFor } from './blob-store.js';
import type { GatewayConfig } from './config.js';
import { isRequestId, type GatewayRequest } from './contract.js';

export interface RequestChannel {
  dispatch(request: GatewayRequest): Promise<void>;
}

/** What the backend reads beside the body; names are lowercase as blob metadata comes back so. */
export function requestMetadata(request: GatewayRequest): Record<string, string> {
  return {
    requestid: request.id,
    operation: request.operation,
    method: request.method,
    replyto: request.replyTo,
    // When the gateway stops waiting, at the earliest: replies after it are set aside as late.
    deadline: new Date(Date.parse(request.createdAt) + request.deadlineMs).toISOString(),
  };
}

class BlobRequestChannel implements RequestChannel {
  constructor(private readonly config: GatewayConfig) {}

  async dispatch(request: GatewayRequest): Promise<void> {
    // The id becomes a blob name: checked again here, where it is used, not only where it came in.
    if (!isRequestId(request.id)) throw new Error('refusing to dispatch a request with an invalid id');
    // Same name on an activity retry: the upload overwrites itself with the same bytes.
    await blobStoreFor(this.config.storageConnection).write(
      this.config.requestsContainer,
      request.id,
      Buffer.from(request.body, 'base64'),
      { contentType: request.contentType, metadata: requestMetadata(request) },
    );
  }
}

const noChannel: RequestChannel = {
  // For backends fed by another path (and for tests): the gateway only waits for replies.
  dispatch: () => Promise.resolve(),
};

export function requestChannelFor(config: GatewayConfig): RequestChannel {
  return config.requestChannel === 'blob' ? new BlobRequestChannel(config) : noChannel;
}
