// Delivers one reply blob to its orchestration, following reply-intake's decisions. The I/O is
// injected so the whole loop (retry, raise, confirm, set aside) runs in unit tests with fakes.
import type { BlobStore, StoredBlob } from './blob-store.js';
import type { GatewayConfig } from './config.js';
import type { ReplyEnvelope } from './contract.js';
import type { GatewayDurable } from './durable-port.js';
import { confirmDelivery, decideReply, parseReplyBlob, retryDelayMs, type SetAsideReason } from './reply-intake.js';

// How long to watch for the raised event to be taken. Past it the delivery throws, so the
// platform retries the trigger; the blob stays where it is meanwhile.
export const CONFIRM_TIMEOUT_MS = 30_000;

export interface DeliveryDeps {
  durable: Pick<GatewayDurable, 'inspect' | 'raiseReply'>;
  blobs: Pick<BlobStore, 'describe' | 'read' | 'moveAside' | 'remove'>;
  config: Pick<GatewayConfig, 'repliesContainer' | 'rejectedContainer' | 'inlineReplyBytes' | 'replyGraceMs' | 'pollIntervalMs'>;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
}

export type DeliveryResult =
  | { result: 'delivered' | 'alreadyDelivered'; requestId: string; replyId: string }
  /** The blob is gone or was replaced: nothing to do for this version. */
  | { result: 'gone' }
  | { result: 'setAside'; reason: SetAsideReason; detail: string; movedTo: string };

export function replyIdOf(blob: StoredBlob): string {
  return `blob:${blob.container}/${blob.name}@${blob.etag}`;
}

export async function deliverBlobReply(name: string, deps: DeliveryDeps): Promise<DeliveryResult> {
  const { durable, blobs, config } = deps;
  const blob = await blobs.describe(config.repliesContainer, name);
  if (blob === undefined) return { result: 'gone' };
  const setAside = async (reason: SetAsideReason, detail: string): Promise<DeliveryResult> => {
    const movedTo = await blobs.moveAside(blob, config.rejectedContainer, reason, detail);
    return { result: 'setAside', reason, detail, movedTo };
  };

  const parsed = parseReplyBlob(blob);
  if (!parsed.ok) return setAside(parsed.reason, parsed.detail);
  const { requestId } = parsed;
  const replyId = replyIdOf(blob);
  const inline = blob.size <= config.inlineReplyBytes;
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
    if (envelope === undefined) {
      const body = inline ? await blobs.read(blob.container, blob.name, blob.etag) : undefined;
      if (inline && body === undefined) return { result: 'gone' };
      envelope = {
        replyId,
        status: parsed.status,
        contentType: blob.contentType,
        receivedAt: new Date(deps.now()).toISOString(),
        ...(body !== undefined
          ? { body: body.toString('base64') }
          : { ref: { container: blob.container, blobName: blob.name, size: blob.size, etag: blob.etag } }),
      };
    }
    const raised = await durable.raiseReply(requestId, envelope);
    if (raised.result === 'raised') break;
    // Not found or finished between the look and the raise: the next look decides.
    if (deps.now() > giveUpAt) throw new Error(`reply ${replyId}: request ${requestId} kept changing state; will retry`);
    await deps.sleep(retryDelayMs(attempt, giveUpAt - deps.now()));
  }

  const confirmBy = deps.now() + CONFIRM_TIMEOUT_MS;
  for (;;) {
    const confirmation = confirmDelivery(await durable.inspect(requestId), replyId);
    if (confirmation.result === 'setAside') return setAside(confirmation.reason, confirmation.detail);
    if (confirmation.result === 'delivered') {
      // An inline reply now lives in Durable state; removing the blob keeps the container (which
      // the trigger scans) small. A claim-check blob must stay: results are read from it.
      if (inline) await blobs.remove(blob);
      return { result: 'delivered', requestId, replyId };
    }
    if (deps.now() > confirmBy) {
      throw new Error(`reply ${replyId} was raised but request ${requestId} has not taken it yet; will retry`);
    }
    await deps.sleep(config.pollIntervalMs);
  }
}
