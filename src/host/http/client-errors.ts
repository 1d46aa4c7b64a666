/**
 * Answers for requests Node's parser or its timers refuse before there is a request object
 * (`clientError`): the response is written straight to the socket, as problem+json like every
 * other host answer, instead of Node's bare 400/408/431. Where a response is already under way
 * on that connection, or the socket can no longer be written, it is only closed.
 */

import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { problemBody } from './write-response.js';

function answerFor(err: NodeJS.ErrnoException): { status: number; detail: string } {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, detail: 'The request headers are larger than this host accepts.' };
    case 'HPE_INVALID_METHOD':
      return { status: 501, detail: 'The request method is not one this host implements.' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, detail: 'The request did not arrive in time (headers or body too slow).' };
    case 'HPE_INVALID_URL':
      return {
        status: 400,
        detail: 'The request target has characters that are not allowed in a URL (non-ASCII must be percent-encoded).',
      };
    default:
      return { status: 400, detail: `The request could not be parsed (${err.code ?? 'malformed'}).` };
  }
}

export function onClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  // Node's own check: a response already started on this connection must not be interleaved.
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const { status, detail } = answerFor(err);
  const body = JSON.stringify(problemBody(status, STATUS_CODES[status] ?? 'Bad request', detail));
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
      'Content-Type: application/problem+json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
  // A client that never reads must not keep the socket (and its buffers) alive.
  setTimeout(() => socket.destroy(), 1_000).unref();
}
