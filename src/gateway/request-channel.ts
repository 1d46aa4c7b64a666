// How a request reaches the backend, chosen by GATEWAY_REQUEST_CHANNEL: a blob, a Service Bus
// topic message, or nothing (the backend is fed another way).
//
// Over Service Bus a body too large for one message (GATEWAY_SERVICEBUS_MAX_MESSAGE_BYTES, or the
// smaller limit the namespace advertises) goes by reference, as large replies come back: the
// request is written as the blob channel writes it, and the message points at that blob.
import type { ServiceBusMessage } from '@azure/service-bus';
import { blobStoreFor } from './blob-store.js';
import type { GatewayConfig, ServiceBusSettings } from './config.js';
import { attemptOf, type GatewayRequest, isRequestId } from './contract.js';
import { serviceBusFor } from './servicebus-port.js';

export interface RequestChannel {
  dispatch(request: GatewayRequest): Promise<void>;
}

/** What the backend reads beside the body, whatever the channel. */
function requestFacts(request: GatewayRequest) {
  return {
    requestId: request.id,
    operation: request.operation,
    method: request.method,
    // When the gateway stops waiting, at the earliest: replies after it are set aside as late.
    deadline: new Date(Date.parse(request.createdAt) + request.deadlineMs).toISOString(),
    // Which start of this request id (idempotency.ts): 2 and up after a sync caller's expiry or a
    // cancel, with the same body and the same id (so the same correlation id).
    attempt: attemptOf(request),
  };
}

/** W3C trace context for the backend to continue (the dispatch span's, telemetry/spans.ts), when there is one. */
function traceOf(request: GatewayRequest): { traceparent?: string } {
  return request.traceparent === undefined ? {} : { traceparent: request.traceparent };
}

/** Blob metadata; names are lowercase as blob metadata comes back so. */
export function requestMetadata(request: GatewayRequest): Record<string, string> {
  const { requestId, operation, method, deadline, attempt } = requestFacts(request);
  return { requestid: requestId, operation, method, replyto: request.replyTo, deadline, attempt: String(attempt), ...traceOf(request) };
}

/**
 * The request as a topic message. The correlationId is the request id: the backend copies it onto
 * its reply. The messageId is the request id too on the first attempt and `<id>.<attempt>` on
 * later ones: an activity retry sends the same messageId again (which duplicate detection, where
 * the entity has it on, drops), a new attempt must not look like one.
 */
export function requestMessage(request: GatewayRequest, replyTopic: string, bodyBlob?: { blob: string; size: number }): ServiceBusMessage {
  const attempt = attemptOf(request);
  return {
    // By reference: no body, the content type still the body's own.
    body: bodyBlob === undefined ? Buffer.from(request.body, 'base64') : Buffer.alloc(0),
    contentType: request.contentType,
    messageId: attempt === 1 ? request.id : `${request.id}.${attempt}`,
    correlationId: request.id,
    subject: request.operation,
    replyTo: replyTopic,
    applicationProperties: {
      ...requestFacts(request),
      // `Diagnostic-Id` too: the property the Azure SDKs' Service Bus tracing reads and writes.
      ...(request.traceparent === undefined ? {} : { traceparent: request.traceparent, 'Diagnostic-Id': request.traceparent }),
      ...(bodyBlob === undefined ? {} : { [BODY_BLOB_PROPERTY]: bodyBlob.blob, [BODY_SIZE_PROPERTY]: bodyBlob.size }),
    },
  };
}

/** Application properties of a request sent by reference: `container/name` of the body, and its size. */
export const BODY_BLOB_PROPERTY = 'bodyBlob';
export const BODY_SIZE_PROPERTY = 'bodySize';

// Room for what a message carries beside its body: properties, application properties, encoding.
const MESSAGE_ENVELOPE_BYTES = 8_192;

// The id becomes a blob name or a message id: checked again here, where it is used, not only
// where it came in.
function assertDispatchable(request: GatewayRequest): void {
  if (!isRequestId(request.id)) throw new Error('refusing to dispatch a request with an invalid id');
}

class BlobRequestChannel implements RequestChannel {
  constructor(private readonly config: GatewayConfig) {}

  async dispatch(request: GatewayRequest): Promise<void> {
    assertDispatchable(request);
    // Same name on an activity retry: the upload overwrites itself with the same bytes.
    await blobStoreFor(this.config.storageConnection).write(
      this.config.requestsContainer,
      request.id,
      Buffer.from(request.body, 'base64'),
      { contentType: request.contentType, metadata: requestMetadata(request) },
    );
  }
}

class ServiceBusRequestChannel implements RequestChannel {
  constructor(
    private readonly settings: ServiceBusSettings,
    private readonly bodies: BlobRequestChannel,
    private readonly requestsContainer: string,
  ) {}

  async dispatch(request: GatewayRequest): Promise<void> {
    assertDispatchable(request);
    const port = serviceBusFor(this.settings.connection);
    const topic = this.settings.requestTopic;
    const size = Buffer.byteLength(request.body, 'base64');
    const limit = Math.min(this.settings.maxMessageBytes, await port.maxMessageBytes(topic));
    // The reply topic, not request.replyTo (the submit call fills that with the replies container).
    if (size + MESSAGE_ENVELOPE_BYTES <= limit) {
      try {
        await port.send(topic, requestMessage(request, this.settings.replyTopic));
        return;
      } catch (err) {
        // Properties larger than the room left for them: the body goes by reference after all.
        if ((err as { code?: unknown }).code !== 'MessageSizeExceeded') throw err;
      }
    }
    // Same blob name on an activity retry: the upload overwrites itself with the same bytes.
    await this.bodies.dispatch(request);
    await port.send(topic, requestMessage(request, this.settings.replyTopic, { blob: `${this.requestsContainer}/${request.id}`, size }));
  }
}

const noChannel: RequestChannel = {
  // For backends fed by another path (and for tests): the gateway only waits for replies.
  dispatch: () => Promise.resolve(),
};

export function requestChannelFor(config: GatewayConfig): RequestChannel {
  switch (config.requestChannel) {
    case 'blob':
      return new BlobRequestChannel(config);
    case 'servicebus':
      // parseConfig refuses this channel without the Service Bus settings.
      if (config.serviceBus === undefined) throw new Error('GATEWAY_REQUEST_CHANNEL=servicebus without Service Bus settings');
      return new ServiceBusRequestChannel(config.serviceBus, new BlobRequestChannel(config), config.requestsContainer);
    case 'none':
      return noChannel;
  }
}
