// GET /api/rejected: the replies set aside on every channel, a page at a time (`limit`,
// `continuation`), filtered by `reason` and `requestId`, with counts by reason. An operator route.
import { clientFunctions } from '../gateway/client-functions.js';
import { getConfig } from '../gateway/config.js';
import { httpEdge, ROUTED_METHODS } from '../gateway/http-edge.js';
import { readListQuery } from '../gateway/rejected/catalogue.js';
import { rejectedCatalogueFor } from '../gateway/rejected/rejected-places.js';

export const listRejected = httpEdge(
  async (request) => {
    const query = readListQuery(new URL(request.url).searchParams);
    const list = await rejectedCatalogueFor(getConfig()).list(query);
    return { status: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(list) };
  },
  { methods: ['GET'] },
);

clientFunctions.http('listRejected', {
  route: 'rejected',
  methods: [...ROUTED_METHODS],
  // Set-aside replies hold backends' answers: a function key on Azure (docs: README "Operating it").
  authLevel: 'function',
  handler: listRejected,
});
