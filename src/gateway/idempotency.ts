// Idempotency-Key → one request, on any Durable backend. The key's record (key-records.ts) decides
// who starts: the one submit that creates it starts attempt 1, and every other submit with the key
// joins what that one started (same fingerprint) or gets 422 (another). A second start of the same
// instance id is never what arbitrates, because the Azure Storage provider accepts both of two
// racing starts. A request that ended without an answer because its sync caller stopped waiting
// (or because it was canceled) is not the key's final word: the next submit advances the record
// and starts the next attempt under the same id, so a retry after a 504 can still be answered.
import { attemptOf, type GatewayRequest } from './contract.js';
import { isGatewayRequest } from './contract-guards.js';
import type { GatewayDurable } from './durable-port.js';
import { GatewayError } from './errors.js';
import type { KeyRecord, KeyRecords } from './key-records.js';
import { classifyRequest, type InstanceSnapshot, isFinal, type RequestState } from './request-state.js';
import type { Submission } from './submission.js';

/**
 * How long an attempt may stay claimed without its instance appearing before another submit takes
 * it over (the claimer died between writing the record and starting). Far above a start's latency,
 * queued starts included; a start that stalls longer than this can run beside the takeover.
 */
export const START_CLAIM_GRACE_MS = 10_000;
const FIRST_LOOK_MS = 25;
const MAX_LOOK_MS = 500;

export interface StartDeps {
  durable: Pick<GatewayDurable, 'inspectWithInput' | 'start'>;
  records: KeyRecords;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
}

export interface Governing {
  /** The request that governs the instance: this call's own (with its attempt) when it started it. */
  request: GatewayRequest;
  /** This call started that attempt, so it alone ends it when its sync wait runs out. */
  started: boolean;
}

/**
 * Whether a finished request lets its key start a new attempt: it ended without an answer because
 * its sync caller stopped waiting (the terminate, or the orchestrator's timer when that caller
 * died) or because it was canceled. An answer, a failure or an async deadline is final.
 */
export function allowsNextAttempt(state: RequestState, request: Pick<GatewayRequest, 'waitMode'>): boolean {
  if (state.kind === 'canceled') return true;
  return state.kind === 'timedOut' && (state.by === 'syncWait' || request.waitMode === 'sync');
}

function reusedFor(id: string): GatewayError {
  return new GatewayError('idempotency-key-reused', `Idempotency-Key already used for a different request (${id}).`, { requestId: id });
}

/** The request an instance runs, if it is this submit's (same fingerprint); 422 otherwise. */
function sameRequest(instance: InstanceSnapshot, mine: GatewayRequest): GatewayRequest {
  if (isGatewayRequest(instance.input) && instance.input.bodyHash === mine.bodyHash) return instance.input;
  throw reusedFor(mine.id);
}

type Step =
  | { step: 'reuse'; governing: Governing }
  | { step: 'start'; attempt: number }
  | { step: 'advance'; to: number }
  | { step: 'wait' };

/**
 * One look at the record and the instance. `claimed`: the attempt this call won (by creating or
 * advancing the record); `started`: the attempt this call has started.
 */
export function nextStep(
  record: KeyRecord,
  instance: InstanceSnapshot | undefined,
  mine: GatewayRequest,
  own: { claimed?: number; started?: number },
  nowMs: number,
): Step {
  if (record.bodyHash !== mine.bodyHash) throw reusedFor(mine.id);
  if (instance !== undefined) {
    const current = sameRequest(instance, mine);
    const ran = attemptOf(current);
    const state = classifyRequest(instance);
    const startedIt = own.started === ran;
    // Whatever attempt runs now is the request: join it.
    if (!isFinal(state)) return { step: 'reuse', governing: { request: current, started: startedIt } };
    if (ran >= record.attempt) {
      if (startedIt || !allowsNextAttempt(state, current)) return { step: 'reuse', governing: { request: current, started: startedIt } };
      return { step: 'advance', to: ran + 1 };
    }
    // A finished earlier attempt: the record's attempt is claimed and not started (or not visible) yet.
  }
  if (own.started === record.attempt) return { step: 'wait' };
  if (own.claimed === record.attempt) return { step: 'start', attempt: record.attempt };
  if (nowMs - record.claimedAt.getTime() > START_CLAIM_GRACE_MS) return { step: 'advance', to: record.attempt + 1 };
  return { step: 'wait' };
}

/**
 * Starts the request, or answers the one that governs its Idempotency-Key. Without a key there is
 * nothing to share: it just starts.
 */
export async function startOrReuse(deps: StartDeps, submission: Submission): Promise<Governing> {
  const mine = submission.request;
  if (!submission.idempotent) {
    await deps.durable.start(mine);
    return { request: mine, started: true };
  }
  const { durable, records } = deps;
  let record = await records.create(mine.id, mine.bodyHash);
  const own: { claimed?: number; started?: number } = { claimed: record?.attempt };
  // Every wait below ends by a takeover within the grace; past twice that, something is broken.
  const giveUpAt = deps.now() + 2 * START_CLAIM_GRACE_MS;
  for (let look = 0; ; look++) {
    record ??= await records.read(mine.id);
    if (record === undefined) {
      // Removed since (an operator, retention): the key starts afresh.
      record = await records.create(mine.id, mine.bodyHash);
      own.claimed = record?.attempt;
      continue;
    }
    const instance = await durable.inspectWithInput(mine.id);
    const next = nextStep(record, instance, mine, own, deps.now());
    switch (next.step) {
      case 'reuse':
        return next.governing;
      case 'advance':
        record = await records.advance(record, next.to);
        own.claimed = record?.attempt;
        continue;
      case 'wait':
        if (deps.now() > giveUpAt) throw new Error(`request ${mine.id}: attempt ${record.attempt} was claimed but never started`);
        await deps.sleep(Math.min(FIRST_LOOK_MS * 2 ** look, MAX_LOOK_MS));
        record = undefined;
        continue;
      case 'start': {
        const request: GatewayRequest = next.attempt === 1 ? mine : { ...mine, attempt: next.attempt };
        if (await startClaimed(durable, request)) {
          // Nothing ran under this id before: no earlier state can be read for this one.
          if (instance === undefined && next.attempt === 1) return { request, started: true };
          // Otherwise look once more, so the wait that follows cannot read the previous attempt.
          own.started = next.attempt;
        }
        own.claimed = undefined;
        look = -1;
      }
    }
  }
}

/** false: refused because another attempt runs (the next look joins it). */
async function startClaimed(durable: StartDeps['durable'], request: GatewayRequest): Promise<boolean> {
  try {
    await durable.start(request);
    return true;
  } catch (error) {
    // A backend that refuses a start over a running instance (the local host does) says someone
    // else's attempt runs. Any other failure is this call's to report.
    const after = await durable.inspectWithInput(request.id);
    if (after === undefined || isFinal(classifyRequest(after))) throw error;
    return false;
  }
}
