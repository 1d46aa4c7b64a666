// Request/response over AMQP links, as $cbs and $management use it.
import type { Connection, EventContext, Receiver, Sender } from 'rhea';
import { toAmqpFailure } from './amqp-errors.js';
import type { AmqpMessage } from './amqp-message.js';

export interface Reply {
  readonly applicationProperties: Readonly<Record<string, unknown>>;
  readonly body?: unknown;
}

export type RequestHandler = (request: AmqpMessage) => Reply;

/**
 * Serves an AMQP request/response node ($cbs, <entity>/$management): requests arrive on this
 * link, and each reply goes out on the client's receiving link that the request's `reply_to`
 * names (rhea's request/response clients name that link, or its target, after the address).
 */
export function serveRequests(
  receiver: Receiver,
  handle: RequestHandler,
  log: (line: string) => void,
  /** Holds each reply until what the request changed is on disk; absent for $cbs. */
  durable: (callback: (error?: Error) => void) => void = (callback) => callback(),
): void {
  receiver.on('message', (context: EventContext) => {
    context.delivery?.accept();
    const request = (context.message ?? {}) as AmqpMessage;
    const replyTo = request.reply_to;
    const replyLink = replyTo === undefined ? undefined : findReplyLink(context.connection, replyTo);
    if (!replyLink) {
      log(`dropped a request to '${receiver.target.address}': no link for reply_to '${String(replyTo)}'`);
      return;
    }
    const answer = reply(handle, request);
    durable((error) => {
      const { applicationProperties, body } = error ? failureReply(error) : answer;
      // The reply correlates by the request's message id, whatever its AMQP type.
      replyLink.send({ correlation_id: request.message_id as string, to: replyTo, application_properties: applicationProperties, body });
    });
  });
}

function reply(handle: RequestHandler, request: AmqpMessage): Reply {
  try {
    return handle(request);
  } catch (error) {
    return failureReply(error);
  }
}

function failureReply(error: unknown): Reply {
  const failure = toAmqpFailure(error);
  return {
    applicationProperties: {
      statusCode: failure.statusCode,
      statusDescription: failure.message,
      errorCondition: failure.condition,
    },
  };
}

function findReplyLink(connection: Connection, replyTo: string): Sender | undefined {
  return connection.find_sender((link: Sender) => link.name === replyTo || link.target?.address === replyTo);
}

/** Claims-based security: any token is accepted, as with the official emulator's well-known key. */
export const answerCbs: RequestHandler = (request) => {
  const operation = request.application_properties?.operation;
  if (operation !== 'put-token') {
    return { applicationProperties: { 'status-code': 501, 'status-description': `Unknown $cbs operation '${String(operation)}'.` } };
  }
  return { applicationProperties: { 'status-code': 202, 'status-description': 'Accepted' } };
};
