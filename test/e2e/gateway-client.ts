// What an e2e test does to the running gateway: HTTP calls as a client makes them, and the
// backend's side (request blobs in, reply blobs out) through real blob storage.
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { sendReply } from '../../scripts/reply.js';
import { blobStoreFor } from '../../src/gateway/blob-store.js';
import { requestIdFromIdempotencyKey } from '../../src/gateway/contract.js';
import { idSecret } from '../../src/gateway/id-secret.js';
import type { GatewayStack } from '../support/gateway-stack.js';
import { eventually } from '../support/stack.js';

export const PROBLEM_PREFIX = 'urn:sync-over-async-gateway:problem:';

/** A response read whole (status, headers, exact bytes). */
export interface Answer {
  status: number;
  headers: Headers;
  body: Buffer;
  text(): string;
  json<T = Record<string, unknown>>(): T;
}

export interface CallOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

// What a Durable check-status response carries (docs/field-notes.md#n2); no gateway answer may hold any.
const MANAGEMENT_TRACES = [/code=/i, /runtime\/webhooks/i, /statusQueryGetUri|sendEventPostUri|terminatePostUri|purgeHistoryDeleteUri/i];

/** Throws if the answer names a management URL or key, in a header or in its body. */
export function assertNoManagementTraces(answer: Answer): void {
  const headers = [...answer.headers].map(([k, v]) => `${k}: ${v}`).join('\n');
  for (const trace of MANAGEMENT_TRACES) {
    expect(headers, 'response headers').not.toMatch(trace);
    // latin1 maps every byte to one character, so binary bodies are scanned too.
    expect(answer.body.toString('latin1'), 'response body').not.toMatch(trace);
  }
}

/** Calls the gateway; every answer is checked for management traces on the way back. */
export async function call(stack: GatewayStack, route: string, options: CallOptions = {}): Promise<Answer> {
  // Locations are relative (`/api/status/…`) unless a public base URL is configured.
  const url = route.startsWith('http') ? route : route.startsWith('/') ? `${stack.url}${route}` : stack.api(route);
  // Redirects are the contract under test (303 See Other), so they are never followed here.
  const body = typeof options.body === 'string' || options.body === undefined ? options.body : new Uint8Array(options.body);
  const response = await fetch(url, { method: options.method ?? 'GET', headers: options.headers, body, redirect: 'manual' });
  const bytes = Buffer.from(await response.arrayBuffer());
  const answer: Answer = {
    status: response.status,
    headers: response.headers,
    body: bytes,
    text: () => bytes.toString('utf8'),
    json: <T>() => JSON.parse(bytes.toString('utf8')) as T,
  };
  assertNoManagementTraces(answer);
  return answer;
}

export function submit(
  stack: GatewayStack,
  operation: string,
  body: string | Buffer = '{}',
  headers: Record<string, string> = {},
): Promise<Answer> {
  return call(stack, `requests/${operation}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
}

/** Asserts a problem+json answer of that type; with `requestId`, that it names the request. */
export function expectProblem(answer: Answer, status: number, code: string, requestId?: string): Record<string, unknown> {
  expect(answer.status, answer.text()).toBe(status);
  expect(answer.headers.get('content-type')).toBe('application/problem+json');
  const problem = answer.json();
  expect(problem).toMatchObject({ type: PROBLEM_PREFIX + code, status });
  if (requestId !== undefined) {
    expect(problem.requestId).toBe(requestId);
    expect(answer.headers.get('x-correlation-id')).toBe(requestId);
  }
  return problem;
}

/** The Location the gateway gives for a resource (relative: no public base URL is configured). */
export function location(resource: 'status' | 'results', id: string): string {
  return `/api/${resource}/${id}`;
}

/** The request id the gateway derives from an Idempotency-Key, from the secret it keeps in storage. */
export async function idForKey(stack: GatewayStack, key: string): Promise<string> {
  const secret = await idSecret(
    blobStoreFor(stack.connectionString),
    stack.settings.GATEWAY_CONTAINER ?? 'gateway',
    stack.connectionString,
  );
  return requestIdFromIdempotencyKey(key, secret);
}

/** An operation name no other test uses, so each test finds its own request blobs. */
export function uniqueOperation(label: string): string {
  return `${label}-${randomUUID().slice(0, 8)}`;
}

/** A blob as the test read it back: name, content type, metadata, bytes. */
export interface BlobCopy {
  name: string;
  contentType: string;
  metadata: Record<string, string>;
  body: Buffer;
}

/** The blobs of `container` (under `prefix`, and whose metadata passes `where`), read whole. */
export async function readBlobs(
  stack: GatewayStack,
  container: string,
  filter: { prefix?: string; where?: (metadata: Record<string, string>) => boolean } = {},
): Promise<BlobCopy[]> {
  const client = stack.blobs.getContainerClient(container);
  if (!(await client.exists())) return [];
  const found: BlobCopy[] = [];
  for await (const item of client.listBlobsFlat({ prefix: filter.prefix, includeMetadata: true })) {
    const metadata = item.metadata ?? {};
    if (filter.where !== undefined && !filter.where(metadata)) continue;
    const body = await client.getBlobClient(item.name).downloadToBuffer();
    found.push({ name: item.name, contentType: item.properties.contentType ?? '', metadata, body });
  }
  return found;
}

/** A request blob: its name is the request id. */
export type RequestBlob = BlobCopy & { id: string };

/** Every request dispatched for `operation` so far (still in the requests container). */
export async function dispatched(stack: GatewayStack, operation: string): Promise<RequestBlob[]> {
  const blobs = await readBlobs(stack, stack.settings.GATEWAY_REQUESTS_CONTAINER ?? 'requests', {
    where: (m) => m.operation === operation,
  });
  return blobs.map((blob) => ({ ...blob, id: blob.name }));
}

/** Waits for the (first) request the gateway dispatched for `operation`, as a backend would. */
export function nextRequest(stack: GatewayStack, operation: string): Promise<RequestBlob> {
  return eventually(async () => (await dispatched(stack, operation))[0], 15_000, `a request blob for ${operation}`);
}

export interface ReplyOptions {
  contentType?: string;
  status?: number;
  /** Blob name; default `{id}`. */
  name?: string;
}

/** Answers request `id` the way a backend does (scripts/reply.ts `sendReply`). */
export async function reply(stack: GatewayStack, id: string, body: string | Buffer, options: ReplyOptions = {}): Promise<void> {
  await sendReply({
    id,
    body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
    contentType: options.contentType ?? 'application/json',
    ...(options.status !== undefined ? { status: options.status } : {}),
    connection: stack.connectionString,
    container: stack.settings.GATEWAY_REPLIES_CONTAINER ?? 'replies',
    blobName: options.name ?? id,
  });
}

/** Waits for the dispatch of `operation`, then answers it: a backend for one request. */
export async function answerNext(
  stack: GatewayStack,
  operation: string,
  body: string | Buffer,
  options: ReplyOptions = {},
): Promise<RequestBlob> {
  const request = await nextRequest(stack, operation);
  await reply(stack, request.id, body, options);
  return request;
}

/** The replies set aside under reply blob `name` (one per version), once there is one. */
export function setAside(stack: GatewayStack, name: string): Promise<BlobCopy[]> {
  const container = stack.settings.GATEWAY_REJECTED_CONTAINER ?? 'replies-rejected';
  return eventually(
    async () => {
      const found = await readBlobs(stack, container, { prefix: `${name}/` });
      return found.length > 0 ? found : undefined;
    },
    15_000,
    `reply ${name} to be set aside`,
  );
}

/** Whether reply blob `name` is (still) in the replies container. */
export function replyExists(stack: GatewayStack, name: string): Promise<boolean> {
  return stack.blobs
    .getContainerClient(stack.settings.GATEWAY_REPLIES_CONTAINER ?? 'replies')
    .getBlobClient(name)
    .exists();
}

export interface DurableStatus {
  runtimeStatus: string;
  output: unknown;
  /** The whole management answer, as text: what Durable state holds for the instance. */
  raw: string;
}

/** The instance as the Durable management API reports it (tests only; callers never see this). */
export async function durableStatus(stack: GatewayStack, id: string): Promise<DurableStatus> {
  const response = await fetch(stack.management(`instances/${id}?showInput=true`));
  const raw = await response.text();
  const parsed = JSON.parse(raw) as { runtimeStatus: string; output: unknown };
  return { runtimeStatus: parsed.runtimeStatus, output: parsed.output, raw };
}

/** Waits until the status resource reports `status`, polling as a client would; `Completed` is the 303. */
export function statusBecomes(stack: GatewayStack, id: string, status: string): Promise<Answer> {
  return eventually(
    async () => {
      const answer = await call(stack, `status/${id}`);
      const now = answer.status === 303 ? 'Completed' : answer.status === 200 ? answer.json().status : `HTTP ${answer.status}`;
      return now === status ? answer : undefined;
    },
    15_000,
    `request ${id} to become ${status}`,
  );
}

/** The demo backend's answer: an echo of the request. */
export interface DemoReply {
  operation: string;
  echo: unknown;
  answeredAt: string;
}

/**
 * Concurrent submits of `{nonce}` bodies: each answer is a 200 echoing its own body, and the id the
 * caller was told is the id its own body was dispatched under (`sent`: id → dispatched bytes).
 */
export function expectEachAnsweredWithItsOwnReply(operation: string, nonces: string[], answers: Answer[], sent: Map<string, Buffer>): void {
  expect(sent.size).toBe(nonces.length);
  const ids = new Set<string>();
  answers.forEach((answer, i) => {
    expect(answer.status, answer.text()).toBe(200);
    expect(answer.json<DemoReply>()).toMatchObject({ operation, echo: { nonce: nonces[i] } });
    const id = answer.headers.get('x-correlation-id') ?? '';
    ids.add(id);
    expect(JSON.parse(sent.get(id)?.toString() ?? 'null')).toEqual({ nonce: nonces[i] });
  });
  expect(ids.size).toBe(nonces.length);
}
