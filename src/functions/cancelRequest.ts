// DELETE /api/status/{id}: cancel a pending request. 202 because Durable termination is itself
// asynchronous: the status resource (Location) turns Canceled once the runtime has applied it.
import { clientFunctions } from '../gateway/client-functions.js';
import { getConfig } from '../gateway/config.js';
import { TERMINATE_REASON_CANCELED } from '../gateway/contract.js';
import { GatewayDurable } from '../gateway/durable-port.js';
import { GatewayError } from '../gateway/errors.js';
import { httpEdge } from '../gateway/http-edge.js';
import { resourceUrl } from '../gateway/links.js';
import { findRequest } from '../gateway/lookup.js';
import { classifyRequest, isFinal } from '../gateway/request-state.js';
import { callerStatus } from '../gateway/status.js';

export const cancelRequest = httpEdge(
  async (request, client, _context, scope) => {
    const durable = new GatewayDurable(client);
    const instance = await findRequest(durable, request.params.id, scope, { withInput: false });
    const id = instance.id;
    const alreadyFinished = (status: string) =>
      new GatewayError('already-finished', `Request ${id} already finished (${status}); nothing to cancel.`, { requestId: id });
    const state = classifyRequest(instance);
    if (isFinal(state)) throw alreadyFinished(callerStatus(state));
    const ended = await durable.terminate(id, TERMINATE_REASON_CANCELED);
    // It finished between the look and the terminate (the client would have swallowed the 410).
    if (ended.result === 'finished') throw alreadyFinished(callerStatus(ended.state));
    if (ended.result === 'notFound') throw new GatewayError('request-not-found', `No request ${id}.`, { requestId: id });
    return { status: 202, headers: { Location: resourceUrl(getConfig().publicBaseUrl, 'status', id) } };
  },
  { methods: ['DELETE'], siblings: ['GET'] },
);

clientFunctions.http('cancelRequest', {
  route: 'status/{id}',
  methods: ['DELETE'],
  authLevel: 'anonymous',
  handler: cancelRequest,
});
