// GET /api/results/{id}: the reply, byte for byte, with the backend's content type and status,
// so a client that follows the status 303 gets exactly what a sync caller would have.

import { blobStoreFor } from '../gateway/blob-store.js';
import { clientFunctions } from '../gateway/client-functions.js';
import { getConfig } from '../gateway/config.js';
import { GatewayDurable } from '../gateway/durable-port.js';
import { GatewayError } from '../gateway/errors.js';
import { httpEdge, ROUTED_METHODS } from '../gateway/http-edge.js';
import { findRequest } from '../gateway/lookup.js';
import { mapOutcome } from '../gateway/outcome.js';
import { replyResponse } from '../gateway/replies/response.js';
import { classifyRequest } from '../gateway/request-state.js';
import { callerStatus } from '../gateway/status.js';
import { traceResult } from '../gateway/telemetry/spans.js';

export const getResult = httpEdge(
  async (request, client, context, scope) => {
    const instance = await findRequest(new GatewayDurable(client), request.params.id, scope, { withInput: false });
    const state = classifyRequest(instance);
    const outcome = mapOutcome(state, instance.id);
    if (outcome.kind !== 'reply') {
      throw new GatewayError('result-not-ready', `Request ${instance.id} has no result (${callerStatus(state)}).`, {
        requestId: instance.id,
      });
    }
    const config = getConfig();
    const { reply } = outcome;
    return traceResult(instance, reply, context, () =>
      replyResponse(
        reply,
        { blobs: blobStoreFor(config.storageConnection), replyBodiesContainer: config.replyBodiesContainer },
        instance.id,
      ),
    );
  },
  { methods: ['GET'] },
);

clientFunctions.http('getResult', {
  route: 'results/{id}',
  methods: [...ROUTED_METHODS],
  authLevel: 'anonymous',
  handler: getResult,
});
