// The asynchronous half of the contract: after a 202, poll the status resource at `Location`,
// waiting `Retry-After` (between a floor and a cap) before each poll, until it answers 303; then
// fetch the result. `fetch` follows the 303 itself (a browser cannot see a redirect's Location);
// a 303 that reaches us anyway (a caller's fetch with `redirect: 'manual'`) is followed here.
import { finalAnswer, type GatewayAnswer, readBytes } from './answer.js';
import { CORRELATION_HEADER, type EndedStatus, gatewayProblem, RequestEndedError, UnexpectedAnswerError } from './errors.js';
import { clampDelay, parseRetryAfter, sleep } from './retry-after.js';
import { type Exchange, exchange } from './transport.js';

export type RequestStatus = 'Pending' | 'AwaitingReply' | 'Completed' | EndedStatus;

/** The gateway's status resource (`GET /api/status/{id}`). */
export interface StatusResource {
  id: string;
  operation: string;
  status: RequestStatus;
  createdAt: string;
  updatedAt: string;
}

export interface PollInfo {
  /** 1 for the first poll. */
  poll: number;
  /** How long the client waits before the next poll (after clamping), when it will poll again. */
  nextPollMs: number | undefined;
  requestId: string;
}

export type StatusListener = (resource: StatusResource, info: PollInfo) => void | Promise<void>;

export interface PollPlan {
  via: Exchange;
  headers: Headers;
  floorMs: number;
  capMs: number;
  onStatus: StatusListener | undefined;
  idempotencyKey: string | undefined;
}

const ENDED_STATUSES: readonly EndedStatus[] = ['Failed', 'TimedOut', 'Canceled'];
const ENDED: ReadonlySet<string> = new Set(ENDED_STATUSES);
const STATUSES: ReadonlySet<string> = new Set<RequestStatus>(['Pending', 'AwaitingReply', 'Completed', ...ENDED_STATUSES]);

function isStatusResource(value: unknown): value is StatusResource {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  return typeof r.id === 'string' && typeof r.operation === 'string' && typeof r.status === 'string' && STATUSES.has(r.status);
}

function nextDelay(response: Response, plan: PollPlan): number {
  return clampDelay(parseRetryAfter(response.headers.get('retry-after')) ?? plan.floorMs, plan.floorMs, plan.capMs);
}

/** Polls `location` (from a 202 whose `Retry-After` said `firstDelayMs`) to the result. */
export async function pollToResult(location: string, firstDelayMs: number, plan: PollPlan): Promise<GatewayAnswer> {
  const { via } = plan;
  const init: RequestInit = { method: 'GET', headers: plan.headers, redirect: 'follow' };
  let delayMs = firstDelayMs;
  for (let poll = 1; ; poll++) {
    await sleep(delayMs, via.signal);
    let response = await exchange(location, init, via, true);
    const context = { mode: 'async' as const, polls: poll, idempotencyKey: plan.idempotencyKey };
    if (response.redirected) return finalAnswer(response, context);
    const redirect = response.headers.get('location');
    if (response.status === 303 && redirect !== null) {
      await response.body?.cancel();
      response = await exchange(new URL(redirect, location).href, init, via, true);
      return finalAnswer(response, context);
    }
    const body = await readBytes(response);
    const requestId = response.headers.get(CORRELATION_HEADER) ?? undefined;
    const problem = gatewayProblem(response.status, response.headers, body);
    if (problem !== undefined) throw problem;
    let resource: unknown;
    try {
      resource = response.status === 200 ? JSON.parse(new TextDecoder().decode(body)) : undefined;
    } catch {
      resource = undefined;
    }
    if (!isStatusResource(resource)) throw new UnexpectedAnswerError(location, response.status, body, requestId, 'not a status resource');
    const final = resource.status !== 'Pending' && resource.status !== 'AwaitingReply';
    delayMs = nextDelay(response, plan);
    await plan.onStatus?.(resource, { poll, nextPollMs: final ? undefined : delayMs, requestId: resource.id });
    if (ENDED.has(resource.status))
      throw new RequestEndedError(resource.status as EndedStatus, resource.id, resource as unknown as Record<string, unknown>);
    // The contract reports Completed as a 303 only; a 200 saying so has no result link to follow.
    if (resource.status === 'Completed')
      throw new UnexpectedAnswerError(location, response.status, body, requestId, 'Completed without a 303 to the result');
  }
}
