// Delivers one reply to its orchestration, following reply-intake's decisions, whatever channel
// carried it: `deliverReply` is the loop (retry, raise, confirm, set aside), a channel supplies a
// ReplyCandidate (how to build the event payload, how to set the reply aside). The I/O is
// injected so the whole loop runs in unit tests with fakes.
import { metadataValue, versionedName, type BlobStore, type StoredBlob } from './blob-store.js';
import type { GatewayConfig } from './config.js';
import type { ReplyEnvelope, ReplyReference } from './contract.js';
import type { GatewayDurable } from './durable-port.js';
import { signalCompleted } from './local-completions.js';
import { confirmDelivery, decideReply, parseReplyBlob, retryDelayMs, type ParsedReply, type SetAsideReason } from './reply-intake.js';

// How long to watch for the raised event to be taken. Past it the delivery throws, so the
// platform retries the trigger; the reply stays where it is meanwhile.
export const CONFIRM_TIMEOUT_MS = 30_000;
/** First wait before checking that the instance took the raised reply; doubles each look. */
const CONFIRM_FIRST_LOOK_MS = 2;

export interface DeliveryLoopDeps {
  durable: Pick<GatewayDurable, 'inspect' | 'raiseReply'>;
  config: Pick<GatewayConfig, 'replyGraceMs' | 'pollIntervalMs'>;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
}

export interface DeliveryDeps extends DeliveryLoopDeps {
  blobs: Pick<BlobStore, 'describe' | 'read' | 'copy' | 'moveAside' | 'remove'>;
  config: Pick<
    GatewayConfig,
    'repliesContainer' | 'rejectedContainer' | 'replyBodiesContainer' | 'inlineReplyBytes' | 'replyGraceMs' | 'pollIntervalMs'
  >;
}

export type DeliveryResult =
  | { result: 'delivered' | 'alreadyDelivered'; requestId: string; replyId: string }
  /** The reply is gone or was replaced: nothing to do for this version. */
  | { result: 'gone' }
  | { result: 'setAside'; reason: SetAsideReason; detail: string; movedTo: string };

/** One parsed reply as the delivery loop sees it. */
export interface ReplyCandidate {
  requestId: string;
  /** Identifies this reply among duplicates and across redeliveries of the same reply. */
  replyId: string;
  /** Builds the `reply` event's payload, once the instance is found waiting; undefined if the reply vanished meanwhile. */
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
export async function setAsideUnparsed(parsed: Extract<ParsedReply, { ok: false }>, setAside: ReplyCandidate['setAside']): Promise<DeliveryResult> {
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
  let envelope: ReplyEnvelope | undefined;

  const started = deps.now();
  const giveUpAt = started + config.replyGraceMs + CONFIRM_TIMEOUT_MS;
  for (let attempt = 0; ; attempt++) {
    const decision = decideReply(await durable.inspect(requestId), replyId, {
      elapsedMs: deps.now() - started,
      graceMs: config.replyGraceMs,
      attempt,
    });
    if (decision.action === 'alreadyDelivered') return { result: 'alreadyDelivered', requestId, replyId };
    if (decision.action === 'setAside') return setAside(decision.reason, decision.detail);
    if (decision.action === 'retry') {
      await deps.sleep(decision.afterMs);
      continue;
    }
    envelope ??= await candidate.envelope(new Date(deps.now()).toISOString());
    if (envelope === undefined) return { result: 'gone' };
    const raised = await durable.raiseReply(requestId, envelope);
    if (raised.result === 'raised') break;
    // Not found or finished between the look and the raise: the next look decides.
    if (deps.now() > giveUpAt) throw new Error(`reply ${replyId}: request ${requestId} kept changing state; will retry`);
    await deps.sleep(retryDelayMs(attempt, giveUpAt - deps.now()));
  }

  const confirmBy = deps.now() + CONFIRM_TIMEOUT_MS;
  for (let look = 0; ; look++) {
    const confirmation = confirmDelivery(await durable.inspect(requestId), replyId);
    if (confirmation.result === 'setAside') return setAside(confirmation.reason, confirmation.detail);
    if (confirmation.result === 'delivered') {
      // A caller blocked in this process is answered now rather than at its next status poll.
      signalCompleted(requestId);
      await candidate.delivered();
      return { result: 'delivered', requestId, replyId };
    }
    if (deps.now() > confirmBy) {
      throw new Error(`reply ${replyId} was raised but request ${requestId} has not taken it yet; will retry`);
    }
    // The instance usually takes the event within milliseconds: look again soon, then back off.
    await deps.sleep(Math.min(config.pollIntervalMs, 2 ** look * CONFIRM_FIRST_LOOK_MS));
  }
}

export function replyIdOf(blob: StoredBlob): string {
  return `blob:${blob.container}/${blob.name}@${blob.etag}`;
}

/** A reply blob in the replies container, named by the request id (an extension allowed). */
export async function deliverBlobReply(name: string, deps: DeliveryDeps): Promise<DeliveryResult> {
  const { blobs, config } = deps;
  const blob = await blobs.describe(config.repliesContainer, name);
  if (blob === undefined) return { result: 'gone' };
  let claimCheck: StoredBlob | undefined;
  const setAside = async (reason: SetAsideReason, detail: string) => {
    const movedTo = await blobs.moveAside(blob, config.rejectedContainer, reason, detail);
    // Made for a raise that lost (a duplicate, say): the set-aside copy holds the bytes now.
    if (claimCheck !== undefined) await blobs.remove(claimCheck);
    return movedTo;
  };
  const parsed = parseReplyBlob(blob);
  if (!parsed.ok) return setAsideUnparsed(parsed, setAside);

  const inline = blob.size <= config.inlineReplyBytes;
  return deliverReply(
    {
      requestId: parsed.requestId,
      replyId: replyIdOf(blob),
      envelope: async (receivedAt) => {
        const facts = { replyId: replyIdOf(blob), status: parsed.status, contentType: blob.contentType, receivedAt };
        if (inline) {
          const body = await blobs.read(blob.container, blob.name, blob.etag);
          return body === undefined ? undefined : replyEnvelope(facts, { body });
        }
        // The reply blob's name is the backend's own: a later reply under that name would replace
        // an answer that pointed at it. The answer points at a copy where no backend writes,
        // named by this version, so a retried delivery finds its own copy again.
        claimCheck = await blobs.copy(blob, { container: config.replyBodiesContainer, name: versionedName(blob) }, { replyid: metadataValue(replyIdOf(blob)) });
        if (claimCheck === undefined) return undefined;
        const { container, name: blobName, size, etag } = claimCheck;
        return replyEnvelope(facts, { ref: { container, blobName, size, etag } });
      },
      setAside,
      // The answer now lives in Durable state or in the claim check; removing the reply blob keeps
      // the container (which the trigger scans) small.
      delivered: () => blobs.remove(blob),
    },
    deps,
  );
}
