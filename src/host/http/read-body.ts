/**
 * Reads a request body whole, within bounds that suit a gateway whose requests arrive in
 * seconds: at most `limit` bytes (refused before buffering), no pause between chunks longer than
 * `idleMs` (a body shorter than its Content-Length, a stalled upload) and no more than `totalMs`
 * in all (an endless chunked body). Each bound has its own error, for the one place that maps
 * them to 413 / 408.
 */
import type { IncomingMessage } from 'node:http';

export class BodyTooLargeError extends Error {
  override name = 'BodyTooLargeError';
}

export class BodyTimeoutError extends Error {
  override name = 'BodyTimeoutError';
}

/** The client went away before its body was complete: there is no one to answer. */
export class RequestAbortedError extends Error {
  override name = 'RequestAbortedError';
}

export interface BodyLimits {
  limit: number;
  idleMs: number;
  totalMs: number;
}

const NO_BODY = Buffer.alloc(0);

export async function readBody(req: IncomingMessage, { limit, idleMs, totalMs }: BodyLimits): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    throw new BodyTooLargeError(`The body is ${declared} bytes; this host accepts at most ${limit}.`);
  }
  // Neither Content-Length nor Transfer-Encoding (RFC 9112 §6.3), or a length of 0: no body will
  // come, so no timers to arm (most management API calls are such GETs).
  if (declared === 0 || (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined)) {
    req.resume();
    return NO_BODY;
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const fail = (err: Error): void => {
      cleanup();
      // Stop buffering; the answer goes out with `Connection: close`.
      req.resume();
      reject(err);
    };
    const total = setTimeout(() => fail(new BodyTimeoutError(`The body did not arrive within ${totalMs} ms.`)), totalMs);
    let idle = setTimeout(onIdle, idleMs);
    function onIdle(): void {
      fail(
        new BodyTimeoutError(
          `No body bytes arrived for ${idleMs} ms (${size} received${Number.isFinite(declared) ? ` of ${declared} declared` : ''}).`,
        ),
      );
    }
    function onData(chunk: Buffer): void {
      size += chunk.length;
      if (size > limit) return fail(new BodyTooLargeError(`The body exceeds ${limit} bytes.`));
      chunks.push(chunk);
      clearTimeout(idle);
      idle = setTimeout(onIdle, idleMs);
    }
    function onEnd(): void {
      cleanup();
      resolve(Buffer.concat(chunks));
    }
    function onError(): void {
      cleanup();
      reject(new RequestAbortedError('The client closed the connection before its body was complete.'));
    }
    function onClose(): void {
      if (!req.complete) onError();
    }
    function cleanup(): void {
      clearTimeout(total);
      clearTimeout(idle);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    }
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}
