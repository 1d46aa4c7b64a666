// Delivers one reply to its orchestration, following intake.ts's decisions, whatever channel
// carried it: `deliverReply` is the loop (retry, raise, confirm, set aside), a channel
// (blob-channel.ts, servicebus-channel.ts) supplies a ReplyCandidate (how to build the event
// payload, how to set the reply aside). Once the instance holds the reply, a caller waiting in
// this process is woken (local-completions.ts) and answered by response.ts. The I/O is injected
// so the whole loop runs in unit tests with fakes.
import { randomUUID } from 'node:crypto';
import { setImmediate } from 'node:timers/promises';
import type { GatewayConfig } from '../config.js';
import { isClaimCheckNameFor, type ReplyEnvelope, type ReplyReference } from '../contract.js';
import type { GatewayDurable } from '../durable-port.js';
import { confirmDelivery, decideReply, type ParsedReply, type SetAsideReason } from './intake.js';
import { signalCompleted } from './local-completions.js';
import { firstLookMs, learnTake } from './take-estimate.js';

// How long to watch for the raised event to be taken. Past it the delivery throws, so the
// platform retries the trigger; the reply stays where it is meanwhile.
export const CONFIRM_TIMEOUT_MS = 30_000;
/** The gap after the first look that found the raised reply not taken yet; doubles each look. */
const CONFIRM_FIRST_LOOK_MS = 2;

export interface DeliveryLoopDeps {
  durable: Pick<GatewayDurable, 'inspect' | 'raiseReply'>;
  config: Pick<GatewayConfig, 'replyGraceMs' | 'pollIntervalMs'>;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
}

export type DeliveryResult =
  /** `held`: raised into a suspended instance, which takes it when resumed. */
  | { result: 'delivered' | 'alreadyDelivered' | 'held'; requestId: string; replyId: string }
  /** The reply is gone or was replaced: nothing to do for this version. */
  | { result: 'gone' }
  | { result: 'setAside'; reason: SetAsideReason; detail: string; movedTo: string };

/** One parsed reply as the delivery loop sees it. */
export interface ReplyCandidate {
  requestId: string;
  /** Identifies this reply among duplicates and across redeliveries of the same reply. */
  replyId: string;
  /** Builds the `reply` event's payload, once per delivery, before the raise; undefined if the reply vanished meanwhile. */
  envelope(receivedAt: string): Promise<ReplyEnvelope | undefined>;
  /** Puts the reply where rejected replies go, with the reason; answers where it went. */
  setAside(reason: SetAsideReason, detail: string): Promise<string>;
  /** Runs once the instance holds this reply. */
  delivered(): Promise<void>;
}

/** The event payload: the body inline (base64) or a claim check on the blob that holds it. */
export function replyEnvelope(
  facts: { replyId: string; status: number; contentType: string; receivedAt: string },
  content: { body: Buffer } | { ref: ReplyReference },
): ReplyEnvelope {
  return 'body' in content ? { ...facts, body: content.body.toString('base64') } : { ...facts, ref: content.ref };
}

/** A reply that failed to parse goes aside at once, without looking anything up. */
export async function setAsideUnparsed(
  parsed: Extract<ParsedReply, { ok: false }>,
  setAside: ReplyCandidate['setAside'],
): Promise<DeliveryResult> {
  return { result: 'setAside', reason: parsed.reason, detail: parsed.detail, movedTo: await setAside(parsed.reason, parsed.detail) };
}

export async function deliverReply(candidate: ReplyCandidate, deps: DeliveryLoopDeps): Promise<DeliveryResult> {
  const { durable, config } = deps;
  const { requestId, replyId } = candidate;
  const setAside = async (reason: SetAsideReason, detail: string): Promise<DeliveryResult> => ({
    result: 'setAside',
    reason,
    detail,
    movedTo: await candidate.setAside(reason, detail),
  });

  const started = deps.now();
  const built = await candidate.envelope(new Date(started).toISOString());
  if (built === undefined) return { result: 'gone' };
  // The orchestrator refuses a claim check it cannot tie to the request; raising one would
  // leave the reply unconfirmed for good, so it is set aside here instead.
  if (built.ref !== undefined && !isClaimCheckNameFor(built.ref.blobName, requestId)) {
    return setAside('malformed', 'its claim check could not be named after the request id');
  }
  // This delivery's mark on its raise: a redelivery that finds the reply already taken tells it
  // from the raise it just made by this (intake.ts confirmDelivery).
  const envelope: ReplyEnvelope = { ...built, delivery: randomUUID() };

  // Raised without a look first: the common case is an instance waiting for it, and the look after
  // the raise gives every other case the verdict a look before it would have (a finished instance
  // swallows the raise as HTTP 410 and is judged late, duplicate or already delivered there). Only
  // an id the runtime does not know (yet) is looked at before raising again, within the grace.
  const giveUpAt = started + config.replyGraceMs + CONFIRM_TIMEOUT_MS;
  const timing = (attempt: number) => ({ elapsedMs: deps.now() - started, graceMs: config.replyGraceMs, attempt });
  for (let attempt = 0; ; attempt++) {
    const raised = await durable.raiseReply(requestId, envelope);
    if (raised.result === 'raised') break;
    // Not known (yet): a reply can overtake its request's start (docs/field-notes.md#n4). Looked
    // at until it is known, within the grace, then raised again.
    let decision = decideReply(undefined, replyId, timing(attempt));
    while (decision.action === 'retry') {
      await deps.sleep(decision.afterMs);
      decision = decideReply(await durable.inspect(requestId), replyId, timing(++attempt));
    }
    if (decision.action === 'alreadyDelivered') return { result: 'alreadyDelivered', requestId, replyId };
    if (decision.action === 'setAside') return setAside(decision.reason, decision.detail);
    // Known and waiting now; gone again at the next raise means it keeps changing state.
    if (deps.now() > giveUpAt) throw new Error(`reply ${replyId}: request ${requestId} kept changing state; will retry`);
  }

  const raisedAt = deps.now();
  const confirmBy = raisedAt + CONFIRM_TIMEOUT_MS;
  for (let look = 0; ; look++) {
    // The first look comes about when recent raises here were taken (take-estimate.ts): on Azure a
    // look right after the raise nearly always finds the instance still running; where a read waits
    // for the episode that takes the raise (the local host), the estimate is zero and it goes at once.
    const gap = look === 0 ? firstLookMs(config.pollIntervalMs) : Math.min(config.pollIntervalMs, 2 ** (look - 1) * CONFIRM_FIRST_LOOK_MS);
    // A zero gap is no timer at all: even setTimeout(0) costs a millisecond or more.
    if (gap > 0) await deps.sleep(gap);
    const confirmation = confirmDelivery(await durable.inspect(requestId), replyId, envelope.delivery);
    if (confirmation.result === 'setAside') return setAside(confirmation.reason, confirmation.detail);
    if (confirmation.result === 'alreadyDelivered') return { result: 'alreadyDelivered', requestId, replyId };
    if (confirmation.result === 'held') {
      // The runtime keeps the event with the instance (a durable message) until an operator
      // resumes it; like a delivered reply, its source is no longer needed.
      await candidate.delivered();
      return { result: 'held', requestId, replyId };
    }
    if (confirmation.result === 'delivered') {
      learnTake(look + 1, deps.now() - raisedAt, config.pollIntervalMs);
      // A caller blocked in this process is answered now, from this state, rather than at its
      // next status poll, and its answer is written before this delivery goes on: what follows
      // (the trigger message's settlement, a reply blob's removal) shares the process, and
      // started at once its client calls run in between the caller's steps and hold it back.
      if (signalCompleted(requestId, confirmation.state)) await setImmediate();
      await candidate.delivered();
      return { result: 'delivered', requestId, replyId };
    }
    if (deps.now() > confirmBy) {
      throw new Error(`reply ${replyId} was raised but request ${requestId} has not taken it yet; will retry`);
    }
  }
}
