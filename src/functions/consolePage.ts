// GET /api/console: the testers' console, a page that lists pending, finished and set-aside
// requests and answers a pending one (src/gateway/console/). `function` level on Azure: open it
// with ?code=<function key>; the local host leaves it open on loopback, like Core Tools.
import { clientFunctions } from '../gateway/client-functions.js';
import { consolePage } from '../gateway/console/page.js';
import { httpEdge, ROUTED_METHODS } from '../gateway/http-edge.js';

export const showConsole = httpEdge(
  () => {
    const page = consolePage();
    return Promise.resolve({ status: 200, headers: page.headers, body: page.html });
  },
  { methods: ['GET'] },
);

clientFunctions.http('consolePage', {
  route: 'console',
  methods: [...ROUTED_METHODS],
  authLevel: 'function',
  handler: showConsole,
});
