// GET /api/status/{id}: the asynchronous request-reply status resource. 200 + Retry-After while
// pending, 303 to the result once replied, 200 for the other final states.
import { clientFunctions } from '../gateway/client-functions.js';
import { getConfig } from '../gateway/config.js';
import { GatewayDurable } from '../gateway/durable-port.js';
import { httpEdge, routedMethodsBut } from '../gateway/http-edge.js';
import { resourceUrl } from '../gateway/links.js';
import { findRequest } from '../gateway/lookup.js';
import { isFinalStatus, statusResource } from '../gateway/status.js';

export const getStatus = httpEdge(
  async (request, client, _context, scope) => {
    const resource = statusResource(await findRequest(new GatewayDurable(client), request.params.id, scope, { withInput: true }));
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    let status = 200;
    if (resource.status === 'Completed') {
      status = 303;
      headers.Location = resourceUrl(getConfig().publicBaseUrl, 'results', resource.id);
    } else if (!isFinalStatus(resource.status)) {
      headers['Retry-After'] = String(getConfig().retryAfterSeconds);
    }
    return { status, headers, body: JSON.stringify(resource) };
  },
  { methods: ['GET'], siblings: ['DELETE'] },
);

clientFunctions.http('getStatus', {
  route: 'status/{id}',
  // Every method but cancelRequest's DELETE, so a wrong one is a 405 naming both.
  methods: routedMethodsBut('DELETE'),
  authLevel: 'anonymous',
  handler: getStatus,
});
