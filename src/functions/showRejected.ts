// GET /api/rejected/{name}: one set-aside reply, its metadata (or message properties) and its
// body. An operator route.
import { clientFunctions } from '../gateway/client-functions.js';
import { getConfig } from '../gateway/config.js';
import { httpEdge, ROUTED_METHODS } from '../gateway/http-edge.js';
import { rejectedCatalogueFor } from '../gateway/rejected/rejected-places.js';

export const showRejected = httpEdge(
  async (request, _client, _context, scope) => {
    const detail = await rejectedCatalogueFor(getConfig()).show(request.params.name ?? '');
    if (detail.requestId !== null) scope.requestId = detail.requestId;
    return { status: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(detail) };
  },
  { methods: ['GET'] },
);

clientFunctions.http('showRejected', {
  route: 'rejected/{name}',
  methods: [...ROUTED_METHODS],
  authLevel: 'function',
  handler: showRejected,
});
