// POST (or GET, for legacy clients) /api/requests/{operation}: start the request, then either
// hold the call until the reply (sync, the default) or answer 202 at once (Prefer: respond-async).
import { setTimeout as sleep } from 'node:timers/promises';
import { blobStoreFor } from '../gateway/blob-store.js';
import { clientFunctions } from '../gateway/client-functions.js';
import { getConfig } from '../gateway/config.js';
import { TERMINATE_REASON_SYNC_EXPIRED } from '../gateway/contract.js';
import { GatewayDurable } from '../gateway/durable-port.js';
import { httpEdge, ROUTED_METHODS } from '../gateway/http-edge.js';
import { idSecret } from '../gateway/id-secret.js';
import { allowsNextAttempt, type Governing, type StartDeps, startOrReuse } from '../gateway/idempotency.js';
import { keyRecordsIn } from '../gateway/key-records.js';
import { resourceUrl } from '../gateway/links.js';
import { type HttpOutcome, mapOutcome, syncWaitExpired } from '../gateway/outcome.js';
import { preferenceApplied } from '../gateway/prefer.js';
import { replyResponse } from '../gateway/replies/response.js';
import { readSubmission } from '../gateway/submission.js';
import { withSubmitTrace } from '../gateway/telemetry/spans.js';

// A sync wait that runs out ends the attempt this call started (so a late reply is set aside, not
// kept for no one, and a retry with the same Idempotency-Key starts the next attempt). A reply that
// landed in the last moment is still answered. A request this call only joined through its
// Idempotency-Key (an async one, or another caller's) is not its to end: it stays pending.
async function expireSyncWait(durable: GatewayDurable, governing: Governing): Promise<HttpOutcome> {
  const id = governing.request.id;
  if (!governing.started || governing.request.waitMode !== 'sync') return { kind: 'problem', error: syncWaitExpired(id, true) };
  const ended = await durable.terminate(id, TERMINATE_REASON_SYNC_EXPIRED);
  if (ended.result === 'notFound') throw new Error(`request ${id} vanished during its sync wait`);
  // Finished between the last look and the terminate: that state is the answer.
  return mapOutcome(ended.result === 'finished' ? ended.state : { kind: 'timedOut', by: 'syncWait' }, id);
}

export const submitRequest = httpEdge(
  withSubmitTrace(async (request, client, _context, scope, trace) => {
    const config = getConfig();
    const blobs = blobStoreFor(config.storageConnection);
    const read = await readSubmission(request, config, () => idSecret(blobs, config.gatewayContainer, config.storageConnection));
    const submission = trace.started(read);
    const { plan } = submission;
    const id = submission.request.id;
    scope.requestId = id;
    const durable = new GatewayDurable(client);
    const starts: StartDeps = { durable, records: keyRecordsIn(blobs, config.gatewayContainer), sleep, now: Date.now };
    let governing = await startOrReuse(starts, submission);

    if (plan.waitMs > 0) {
      const waitEnds = Date.now() + plan.waitMs;
      // A request this call started can only have finished through a signal or the safety poll; one
      // joined through its Idempotency-Key may be long done, so it is read at once.
      const waitOn = (g: Governing) =>
        trace.waiting(() =>
          durable.waitForState(id, request, {
            timeoutMs: Math.max(0, waitEnds - Date.now()),
            pollIntervalMs: config.pollIntervalMs,
            lookFirst: !g.started,
          }),
        );
      let state = await waitOn(governing);
      // The attempt this call joined was ended by its own caller's expiry while this one still
      // waits: the key moves on to the next attempt, and this call waits for that one.
      while (!governing.started && state.kind === 'timedOut' && allowsNextAttempt(state, governing.request) && Date.now() < waitEnds) {
        governing = await startOrReuse(starts, submission);
        state = await waitOn(governing);
      }
      let outcome = mapOutcome(state, id);
      if (outcome.kind === 'pending' && plan.mode === 'sync') outcome = await expireSyncWait(durable, governing);
      if (outcome.kind === 'problem') throw outcome.error;
      if (outcome.kind === 'reply') {
        const applied = preferenceApplied(plan, false);
        const { reply } = outcome;
        return trace.answer(id, reply, () =>
          replyResponse(
            reply,
            { blobs, replyBodiesContainer: config.replyBodiesContainer },
            id,
            applied ? { 'Preference-Applied': applied } : {},
          ),
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
      body: JSON.stringify({ id, operation: governing.request.operation, createdAt: governing.request.createdAt }),
    };
  }),
  { methods: ['GET', 'POST'] },
);

clientFunctions.http('submitRequest', {
  route: 'requests/{operation}',
  // Every method is routed here so the wrong ones get a 405 problem instead of a bare 404.
  methods: [...ROUTED_METHODS],
  authLevel: 'anonymous',
  handler: submitRequest,
});
