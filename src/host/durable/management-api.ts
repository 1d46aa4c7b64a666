/**
 * The Durable HTTP management API (`/runtime/webhooks/durabletask/...`) as the extension's
 * `HttpApiHandler` answers it, over the engine: routes, status codes, headers and body shapes.
 */
import type { Registry } from '../registry.js';
import { type ClientBindingUrls, managementPayload } from './client-binding.js';
import type { ClientOutcome, DurableEngine } from './engine.js';
import { historyView } from './history-view.js';
import type { InstanceFilter } from './instance-query.js';
import { type InstanceRecord, type RuntimeStatus, TERMINAL } from './instance-record.js';
import { parseJson } from './orchestration-runner.js';

export interface ApiRequest {
  method: string;
  /** Path below the webhook base, e.g. `instances/abc/raiseEvent/reply`. */
  path: string;
  query: URLSearchParams;
  /** The request's full URL: a running instance's status answer points back at it (`Location`). */
  url: string;
  body: Buffer;
  headers: Record<string, string | undefined>;
}

export interface ApiResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

const STATUSES: readonly RuntimeStatus[] = ['Pending', 'Running', 'Completed', 'Failed', 'Terminated', 'Suspended', 'ContinuedAsNew'];
const PAGE_SIZE = 100;

/**
 * The subset of the Durable Functions HTTP API that the v3 `DurableClient` calls, with the real
 * extension's status codes (docs/durable-host-contract.md#3-the-management-api): 202 for
 * accepted operations, 410 for a finished instance, 404 for an unknown one, 400 for malformed calls.
 */
export async function handleManagementCall(
  engine: DurableEngine,
  registry: Registry,
  urls: ClientBindingUrls,
  req: ApiRequest,
): Promise<ApiResponse> {
  const parts = req.path.split('/').filter(Boolean).map(decodeURIComponent);
  const [root, id, op, eventName] = parts;
  if (root === 'orchestrators' && req.method === 'POST' && id) return start(engine, registry, urls, id, op, req.body);
  if (root !== 'instances') return problem(404, `No management operation at ${req.method} /${req.path}.`);
  if (!id) {
    if (req.method === 'GET') return list(engine, req);
    if (req.method === 'DELETE') return purgeBy(engine, req.query);
    return problem(405, `${req.method} is not supported on the instance collection.`);
  }
  if (!op) {
    if (req.method === 'GET') return status(engine, id, req);
    if (req.method === 'DELETE') return purge(engine, id);
    return problem(405, `${req.method} is not supported on an instance.`);
  }
  if (req.method !== 'POST') return problem(405, `Use POST for ${op}.`);
  const reason = req.query.get('reason') ?? '';
  switch (op) {
    case 'raiseEvent':
      return raise(engine, id, eventName, req);
    case 'terminate':
      return outcome(await engine.terminate(id, reason), id);
    case 'suspend':
      return outcome(await engine.suspend(id, reason), id);
    case 'resume':
      return outcome(await engine.resume(id, reason), id);
    case 'restart':
      return restart(engine, registry, urls, id, req.query);
    case 'rewind':
      return rewind(engine, id);
    default:
      return problem(404, `Unknown instance operation "${op}".`);
  }
}

/**
 * raiseEvent as `HttpApiHandler.HandleRaiseEventRequestAsync` orders its checks: unknown id 404,
 * finished (Failed included) 410, then a body that is not `application/json` 400, then bad JSON 400.
 */
async function raise(engine: DurableEngine, id: string, eventName: string | undefined, req: ApiRequest): Promise<ApiResponse> {
  if (!eventName) return problem(400, 'The event name is missing: POST instances/{id}/raiseEvent/{eventName}.');
  const record = engine.getStatus(id);
  if (!record) return problem(404, `No instance with ID '${id}' was found.`);
  if (TERMINAL.has(record.runtimeStatus)) return problem(410, `Instance '${id}' is already finished.`);
  const mediaType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/json') return problem(400, 'Only application/json request content is supported');
  const text = req.body.length ? req.body.toString('utf8') : null;
  if (text !== null && !isJson(text)) return problem(400, 'Invalid JSON content: the event body must be JSON.');
  return outcome(await engine.raiseEvent(id, eventName, text), id);
}

/**
 * restart as the extension's `DurableClient.RestartAsync`: a new instance (a new id unless
 * `restartWithNewInstanceId=false`) of the same orchestrator with the same input; answered like a start.
 */
async function restart(
  engine: DurableEngine,
  registry: Registry,
  urls: ClientBindingUrls,
  id: string,
  query: URLSearchParams,
): Promise<ApiResponse> {
  const record = engine.getStatus(id);
  if (!record) return problem(400, 'InstanceId does not match a valid orchestration instance.');
  const newId = query.get('restartWithNewInstanceId')?.toLowerCase() === 'false' ? id : undefined;
  return start(engine, registry, urls, record.name, newId, Buffer.from(record.input ?? '', 'utf8'));
}

/**
 * Rewind is refused: the Azure Storage provider keeps only its legacy, obsolete rewind (marked
 * preview in the extension), which this host does not emulate. 501 is the answer the SDK's
 * `rewind()` reads as "not supported by the underlying storage provider"; the message says why.
 */
function rewind(engine: DurableEngine, id: string): ApiResponse {
  const record = engine.getStatus(id);
  if (!record) return { status: 404, body: '' };
  return problem(
    501,
    `Rewind is not supported by the local host (the Azure Storage provider's rewind is a deprecated preview); restart instance '${id}' instead.`,
  );
}

async function start(
  engine: DurableEngine,
  registry: Registry,
  urls: ClientBindingUrls,
  name: string,
  givenId: string | undefined,
  body: Buffer,
): Promise<ApiResponse> {
  const fn = registry.find(name);
  if (!fn || fn.trigger.type !== 'orchestrationTrigger')
    return problem(400, `The function '${name}' doesn't exist, is disabled, or is not an orchestrator function.`);
  const instanceId = givenId ?? crypto.randomUUID().replace(/-/g, '');
  if (!/^[^/\\#?]{1,256}$/.test(instanceId) || [...instanceId].some(isControlChar)) {
    return problem(400, 'Instance ids must be 1-256 characters without /, \\, # or ? and no control characters.');
  }
  const text = body.length ? body.toString('utf8') : null;
  if (text !== null && !isJson(text)) return problem(400, 'The orchestrator input must be JSON.');
  const result = await engine.startNew(fn.name, instanceId, text);
  if (result === 'conflict') return problem(409, `An instance with ID '${instanceId}' already exists and is not finished.`);
  const payload = managementPayload(urls, instanceId);
  return { status: 202, headers: { Location: payload.statusQueryGetUri, 'Retry-After': '10' }, body: payload };
}

/** getStatus as `HttpApiHandler.HandleGetStatusRequestAsync`: 202 + `Location` + `Retry-After: 5` while it runs, 200 once done. */
async function status(engine: DurableEngine, id: string, req: ApiRequest): Promise<ApiResponse> {
  const { query } = req;
  const record = await engine.settledStatus(id);
  if (!record) return { status: 404, body: '' };
  const showInput = query.get('showInput')?.toLowerCase() !== 'false';
  const body: Record<string, unknown> = toStatus(record, showInput);
  // The extension reads no history of a Pending instance.
  if (query.get('showHistory')?.toLowerCase() === 'true' && record.runtimeStatus !== 'Pending') {
    const showHistoryOutput = query.get('showHistoryOutput')?.toLowerCase() === 'true';
    body.historyEvents = historyView(engine.readHistory(record), { showInput, showHistoryOutput });
  }
  if (TERMINAL.has(record.runtimeStatus)) return { status: 200, body };
  // Retry-After 5 s: "some clients will otherwise retry in a tight loop" (HttpApiHandler).
  return { status: 202, headers: { Location: req.url, 'Retry-After': '5' }, body };
}

/** The instance filter of a query string (getStatusBy, purgeInstanceHistoryBy), or the problem with it. */
function filterOf(query: URLSearchParams): InstanceFilter | ApiResponse {
  const statuses = (query.get('runtimeStatus') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = statuses.find((s) => !STATUSES.includes(s as RuntimeStatus));
  if (unknown) return problem(400, `Unknown runtimeStatus "${unknown}"; use ${STATUSES.join(', ')}.`);
  const createdFrom = isoParam(query.get('createdTimeFrom'));
  const createdTo = isoParam(query.get('createdTimeTo'));
  if (createdFrom === null || createdTo === null) return problem(400, 'createdTimeFrom/createdTimeTo must be ISO 8601 dates.');
  const idPrefix = query.get('instanceIdPrefix') || undefined;
  return { createdFrom, createdTo, statuses: statuses as RuntimeStatus[], ...(idPrefix ? { idPrefix } : {}) };
}

function list(engine: DurableEngine, req: ApiRequest): ApiResponse {
  const filter = filterOf(req.query);
  if ('status' in filter) return filter;
  const top = Number(req.query.get('top') ?? PAGE_SIZE);
  const page = engine.query(
    filter,
    req.headers['x-ms-continuation-token'] || undefined,
    Number.isInteger(top) && top > 0 ? Math.min(top, 1000) : PAGE_SIZE,
  );
  const showInput = req.query.get('showInput') !== 'false';
  // Send the continuation header only when there is a next page: the client loops while it is present.
  const headers: Record<string, string> = page.continuation ? { 'x-ms-continuation-token': page.continuation } : {};
  return { status: 200, headers, body: page.records.map((r) => toStatus(r, showInput)) };
}

/** purgeInstanceHistoryBy: 200 with the count, 404 when nothing matched (the extension's codes). */
async function purgeBy(engine: DurableEngine, query: URLSearchParams): Promise<ApiResponse> {
  const filter = filterOf(query);
  if ('status' in filter) return filter;
  const deleted = await engine.purgeBy(filter);
  return deleted === 0 ? { status: 404, body: '' } : { status: 200, body: { instancesDeleted: deleted } };
}

async function purge(engine: DurableEngine, id: string): Promise<ApiResponse> {
  const result = await engine.purge(id);
  if (result === 'notFound') return { status: 404, body: '' };
  if (result === 'running') return problem(412, `Instance '${id}' is not finished; terminate it before purging.`);
  return { status: 200, body: { instancesDeleted: 1 } };
}

function outcome(result: ClientOutcome, id: string): ApiResponse {
  if (result === 'notFound') return problem(404, `No instance with ID '${id}' was found.`);
  if (result === 'gone') return problem(410, `Instance '${id}' is already finished.`);
  return { status: 202, body: '' };
}

export function toStatus(r: InstanceRecord, showInput: boolean): Record<string, unknown> {
  return {
    name: r.name,
    instanceId: r.instanceId,
    runtimeStatus: r.runtimeStatus === 'ContinuedAsNew' ? 'Running' : r.runtimeStatus,
    input: showInput ? (parseJson(r.input) ?? null) : null,
    customStatus: parseJson(r.customStatus) ?? null,
    output: parseJson(r.output) ?? null,
    createdTime: wholeSeconds(r.createdTime),
    lastUpdatedTime: wholeSeconds(r.lastUpdatedTime),
  };
}

const ENGINE_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z$/;

/**
 * The extension writes status times as `ToString("s") + "Z"`: whole seconds, truncated
 * (`HttpApiHandler.ConvertFrom`). The engine keeps full precision; only the answer is cut.
 */
export function wholeSeconds(iso: string): string {
  // The engine's own times are `toISOString()` output: cutting the fraction is the answer (and
  // saves two date conversions on every status read).
  if (ENGINE_TIME.test(iso)) return `${iso.slice(0, 19)}Z`;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : `${new Date(t - (((t % 1000) + 1000) % 1000)).toISOString().slice(0, 19)}Z`;
}

function problem(status: number, message: string): ApiResponse {
  return { status, body: { Message: message } };
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** undefined = absent, null = present but not a date. */
function isoParam(value: string | null): string | undefined | null {
  if (!value) return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}

function isControlChar(c: string): boolean {
  const code = c.charCodeAt(0);
  return code < 0x20 || (code >= 0x7f && code <= 0x9f);
}
