// POST (or GET, for legacy clients) /api/requests/{operation}: start the request, then either
// hold the call until the reply (sync, the default) or answer 202 at once (Prefer: respond-async).
import * as df from 'durable-functions';
import { blobStoreFor } from '../gateway/blob-store.js';
import { getConfig } from '../gateway/config.js';
import { type GatewayRequest, TERMINATE_REASON_SYNC_EXPIRED } from '../gateway/contract.js';
import { GatewayDurable } from '../gateway/durable-port.js';
import { httpEdge } from '../gateway/http-edge.js';
import { idSecret } from '../gateway/id-secret.js';
import { resourceUrl } from '../gateway/links.js';
import { type HttpOutcome, mapOutcome, syncWaitExpired } from '../gateway/outcome.js';
import { preferenceApplied } from '../gateway/prefer.js';
import { replyResponse } from '../gateway/replies/response.js';
import { readSubmission, startOrReuse } from '../gateway/submission.js';

// A sync wait that runs out ends the request (so a late reply is set aside, not kept for no
// one). A reply that landed in the last moment is still answered. An async request reused
// through its Idempotency-Key by a sync caller is not the caller's to end: it stays pending.
async function expireSyncWait(durable: GatewayDurable, governing: GatewayRequest): Promise<HttpOutcome> {
  const id = governing.id;
  if (governing.waitMode !== 'sync') return { kind: 'problem', error: syncWaitExpired(id, true) };
  const ended = await durable.terminate(id, TERMINATE_REASON_SYNC_EXPIRED);
  if (ended.result === 'notFound') throw new Error(`request ${id} vanished during its sync wait`);
  // Finished between the last look and the terminate: that state is the answer.
  return mapOutcome(ended.result === 'finished' ? ended.state : { kind: 'timedOut', by: 'syncWait' }, id);
}

export const submitRequest = httpEdge(
  async (request, client, _context, scope) => {
    const config = getConfig();
    const blobs = blobStoreFor(config.storageConnection);
    const submission = await readSubmission(request, config, () => idSecret(blobs, config.gatewayContainer, config.storageConnection));
    const { plan } = submission;
    const id = submission.request.id;
    scope.requestId = id;
    const durable = new GatewayDurable(client);
    const governing = await startOrReuse(durable, submission);

    if (plan.waitMs > 0) {
      // A request this call started can only have finished through a signal or the safety poll; one
      // reused through its Idempotency-Key may be long done, so it is read at once.
      const lookFirst = governing !== submission.request;
      const state = await durable.waitForState(request, id, { timeoutMs: plan.waitMs, pollIntervalMs: config.pollIntervalMs, lookFirst });
      let outcome = mapOutcome(state, id);
      if (outcome.kind === 'pending' && plan.mode === 'sync') outcome = await expireSyncWait(durable, governing);
      if (outcome.kind === 'problem') throw outcome.error;
      if (outcome.kind === 'reply') {
        const applied = preferenceApplied(plan, false);
        return replyResponse(
          outcome.reply,
          { blobs, replyBodiesContainer: config.replyBodiesContainer },
          id,
          applied ? { 'Preference-Applied': applied } : {},
        );
      }
    }

    const headers: Record<string, string> = {
      Location: resourceUrl(getConfig().publicBaseUrl, 'status', id),
      'Retry-After': String(config.retryAfterSeconds),
      'Content-Type': 'application/json',
    };
    const applied = preferenceApplied(plan, true);
    if (applied !== undefined) headers['Preference-Applied'] = applied;
    return {
      status: 202,
      headers,
      body: JSON.stringify({ id, operation: governing.operation, createdAt: governing.createdAt }),
    };
  },
  { methods: ['GET', 'POST'] },
);

df.app.client.http('submitRequest', {
  route: 'requests/{operation}',
  // Every method is routed here so the wrong ones get a 405 problem instead of a bare 404.
  methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'],
  authLevel: 'anonymous',
  handler: submitRequest,
});
