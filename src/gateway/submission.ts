// Turns a submit call into a GatewayRequest: every check a caller can fail (operation, Prefer,
// Idempotency-Key, size, JSON) happens here, before anything is started (idempotency.ts starts it).
import type { HttpRequest } from '@azure/functions';
import type { GatewayConfig } from './config.js';
import {
  fingerprintRequest,
  type GatewayRequest,
  isIdempotencyKey,
  isJsonMediaType,
  isOperation,
  isUtf8Json,
  newRequestId,
  requestIdFromIdempotencyKey,
} from './contract.js';
import { GatewayError } from './errors.js';
import { parsePrefer, planWait, type WaitPlan } from './prefer.js';

export const SYNC_DEADLINE_MARGIN_MS = 5_000;

export interface Submission {
  request: GatewayRequest;
  plan: WaitPlan;
  idempotent: boolean;
}

/** The body, refused with 413 past `maxBytes` (declared or read); also the console's reply form. */
export async function readBody(request: HttpRequest, maxBytes: number): Promise<Buffer> {
  const tooLarge = () => new GatewayError('payload-too-large', `The body exceeds ${maxBytes} bytes.`);
  // Refuse on the declared length before reading; check the real length after.
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > maxBytes) throw tooLarge();
  const body = Buffer.from(await request.arrayBuffer());
  if (body.length > maxBytes) throw tooLarge();
  return body;
}

/**
 * Reads and checks a submit call. `keySecret` gives the secret Idempotency-Keys are hashed under
 * (id-secret.ts); asked for only when the call has a key.
 */
export async function readSubmission(
  request: HttpRequest,
  config: GatewayConfig,
  keySecret: () => Promise<Uint8Array>,
  now: Date = new Date(),
): Promise<Submission> {
  const operation = request.params.operation;
  if (!isOperation(operation)) {
    throw new GatewayError('invalid-operation', 'The operation must be 1-64 characters of letters, digits, ".", "_" or "-".');
  }
  const plan = planWait(parsePrefer(request.headers.get('prefer')), config);
  const key = request.headers.get('idempotency-key');
  if (key !== null && !isIdempotencyKey(key)) {
    throw new GatewayError('invalid-idempotency-key', 'Idempotency-Key must be 1-255 visible ASCII characters.');
  }
  const method = request.method.toUpperCase() === 'GET' ? 'GET' : 'POST';
  // Repeated query keys: the last one wins, as in most HTTP frameworks.
  const query = Object.fromEntries(request.query.entries());
  let body: Buffer;
  let contentType: string;
  if (method === 'GET') {
    // Legacy clients send their input in the query string; the backend gets it as JSON.
    body = Buffer.from(JSON.stringify(query), 'utf8');
    contentType = 'application/json';
  } else {
    body = await readBody(request, config.maxBodyBytes);
    contentType = request.headers.get('content-type')?.trim() || 'application/octet-stream';
    if (isJsonMediaType(contentType)) assertJson(body);
  }
  // A sync request lives as long as its caller waits, plus a margin so the submit call's own
  // expiry (terminate, 504 sync-wait-expired) normally comes first and callers see one problem
  // type; the orchestrator's timer still ends it if the submit call died.
  const deadlineMs = plan.mode === 'sync' ? plan.waitMs + SYNC_DEADLINE_MARGIN_MS : config.asyncDeadlineSeconds * 1000;
  return {
    plan,
    idempotent: key !== null,
    request: {
      id: key !== null ? requestIdFromIdempotencyKey(key, await keySecret()) : newRequestId(),
      operation,
      method,
      contentType,
      body: body.toString('base64'),
      bodyHash: fingerprintRequest({ method, operation, query, body }),
      query,
      replyTo: config.repliesContainer,
      replyBodiesContainer: config.replyBodiesContainer,
      waitMode: plan.mode,
      deadlineMs,
      createdAt: now.toISOString(),
    },
  };
}

function assertJson(body: Buffer): void {
  if (!isUtf8Json(body)) throw new GatewayError('malformed-json', 'The body is not valid UTF-8 JSON, as its Content-Type says it is.');
}
