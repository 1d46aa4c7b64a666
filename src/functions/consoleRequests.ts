// GET /api/console/requests: what the console page polls, the requests pending now and those
// finished in the last minutes (gateway/console/request-list.ts), with the reply channels a
// tester may use. Function level, like the page.
import { clientFunctions } from '../gateway/client-functions.js';
import { getConfig } from '../gateway/config.js';
import { readRequestLists } from '../gateway/console/request-list.js';
import { replyChannels } from '../gateway/console/tester-reply.js';
import { httpEdge, ROUTED_METHODS } from '../gateway/http-edge.js';

export const listConsoleRequests = httpEdge(
  async (_request, client) => {
    const lists = await readRequestLists(client);
    return {
      status: 200,
      headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' },
      body: JSON.stringify({ ...lists, replyChannels: replyChannels(getConfig()) }),
    };
  },
  { methods: ['GET'] },
);

clientFunctions.http('consoleRequests', {
  route: 'console/requests',
  methods: [...ROUTED_METHODS],
  authLevel: 'function',
  handler: listConsoleRequests,
});
