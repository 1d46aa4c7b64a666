// POST /api/console/requests/{id}/reply: the console's answer form. The reply is sent the way a
// backend sends it (a reply blob or a reply-topic message, gateway/backend-reply.ts) and reaches
// the request through the reply trigger, so every intake rule applies; this route only refuses
// what it can see at once (an unknown or finished request, a malformed form). 202: the request is
// answered when the trigger has taken the reply, which the page then shows.

import { sendReply } from '../gateway/backend-reply.js';
import { clientFunctions } from '../gateway/client-functions.js';
import { getConfig } from '../gateway/config.js';
import { readTesterReply, replyDestination } from '../gateway/console/tester-reply.js';
import { GatewayDurable } from '../gateway/durable-port.js';
import { GatewayError } from '../gateway/errors.js';
import { httpEdge, ROUTED_METHODS } from '../gateway/http-edge.js';
import { findRequest } from '../gateway/lookup.js';
import { classifyRequest, isFinal } from '../gateway/request-state.js';
import { callerStatus } from '../gateway/status.js';

export const answerFromConsole = httpEdge(
  async (request, client, context, scope) => {
    const config = getConfig();
    const instance = await findRequest(new GatewayDurable(client), request.params.id, scope, { withInput: false });
    const state = classifyRequest(instance);
    if (isFinal(state)) {
      throw new GatewayError('already-finished', `Request ${instance.id} already finished (${callerStatus(state)}); nothing to answer.`, {
        requestId: instance.id,
      });
    }
    const reply = await readTesterReply(request, instance.id, config);
    await sendReply(reply);
    const sentTo = replyDestination(reply);
    context.log(`console: a tester's reply for request ${instance.id} sent to ${sentTo}`);
    return {
      status: 202,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ id: instance.id, via: reply.via ?? 'blob', sentTo }),
    };
  },
  { methods: ['POST'] },
);

clientFunctions.http('consoleReply', {
  route: 'console/requests/{id}/reply',
  methods: [...ROUTED_METHODS],
  authLevel: 'function',
  handler: answerFromConsole,
});
