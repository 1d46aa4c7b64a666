// Caller-facing URLs. Built from the incoming request's origin so they point wherever the caller
// reached the gateway; only the gateway's own resources, never Durable management URLs.
import { ROUTE_PREFIX } from './contract.js';

export type GatewayResource = 'status' | 'results';

export function resourceUrl(requestUrl: string, resource: GatewayResource, id: string): string {
  return new URL(`/${ROUTE_PREFIX}/${resource}/${encodeURIComponent(id)}`, requestUrl).href;
}
