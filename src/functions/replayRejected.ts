// POST /api/rejected/{name}/replay: hands a set-aside reply back to the normal reply intake
// (blob: the replies container; Service Bus: the reply topic), which applies every rule again:
// delivered if its request now waits for it, set aside anew (with the new reason) if not. 202:
// the intake decides in the reply function, not in this call. An operator route.
import { clientFunctions } from '../gateway/client-functions.js';
import { getConfig } from '../gateway/config.js';
import { httpEdge, ROUTED_METHODS } from '../gateway/http-edge.js';
import { rejectedCatalogueFor } from '../gateway/rejected/rejected-places.js';

export const replayRejected = httpEdge(
  async (request, _client, _context, scope) => {
    const receipt = await rejectedCatalogueFor(getConfig()).replay(request.params.name ?? '');
    if (receipt.requestId !== null) scope.requestId = receipt.requestId;
    return { status: 202, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(receipt) };
  },
  { methods: ['POST'] },
);

clientFunctions.http('replayRejected', {
  route: 'rejected/{name}/replay',
  methods: [...ROUTED_METHODS],
  authLevel: 'function',
  handler: replayRejected,
});
