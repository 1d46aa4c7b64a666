// Activity: hands the request to the backend over the configured channel. Side effects live
// here, not in the orchestrator, so they run once per schedule rather than on every replay.
import type { ActivityHandler } from 'durable-functions';
import * as df from 'durable-functions';
import { getConfig } from '../gateway/config.js';
import { DISPATCH_ACTIVITY_NAME } from '../gateway/contract.js';
import { isGatewayRequest } from '../gateway/contract-guards.js';
import { requestChannelFor } from '../gateway/request-channel.js';
import { traceDispatch } from '../gateway/telemetry/spans.js';

export const dispatchRequest: ActivityHandler = async (input: unknown, context) => {
  const request: unknown = typeof input === 'string' ? JSON.parse(input) : input;
  if (!isGatewayRequest(request)) throw new Error('dispatchRequest: input is not a GatewayRequest');
  await traceDispatch(request, getConfig().requestChannel, context, (outgoing) => requestChannelFor(getConfig()).dispatch(outgoing));
  context.log(`dispatched request ${request.id} (${request.operation}) via ${getConfig().requestChannel}`);
};

df.app.activity(DISPATCH_ACTIVITY_NAME, { handler: dispatchRequest });
