// The shared first step of the status, cancel and result calls: a valid id naming a known request.
import { isRequestId } from './contract.js';
import type { GatewayDurable } from './durable-port.js';
import { GatewayError } from './errors.js';
import type { EdgeScope } from './http-edge.js';
import type { InstanceSnapshot } from './request-state.js';

/** `withInput`: only the status resource shows what the request was (its operation, its clock). */
export async function findRequest(
  durable: Pick<GatewayDurable, 'inspect' | 'inspectWithInput'>,
  rawId: string | undefined,
  scope: EdgeScope,
  { withInput }: { withInput: boolean },
): Promise<InstanceSnapshot> {
  // Checked before it reaches the Durable API, where it would become part of a URL path.
  if (!isRequestId(rawId)) throw new GatewayError('invalid-request-id', 'Request ids are 1-64 letters, digits or "-".');
  scope.requestId = rawId;
  const instance = await (withInput ? durable.inspectWithInput(rawId) : durable.inspect(rawId));
  if (instance === undefined) throw new GatewayError('request-not-found', `No request ${rawId}.`, { requestId: rawId });
  return instance;
}
