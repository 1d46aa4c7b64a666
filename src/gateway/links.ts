// Caller-facing URLs: only the gateway's own resources, never Durable management URLs. Absolute
// under the configured public base URL when there is one, otherwise relative to the host the
// caller reached; never built from the request's Host header, which the caller controls.
import { ROUTE_PREFIX } from './contract.js';

export type GatewayResource = 'status' | 'results';

export function resourceUrl(publicBaseUrl: string | undefined, resource: GatewayResource, id: string): string {
  const path = `${ROUTE_PREFIX}/${resource}/${encodeURIComponent(id)}`;
  return publicBaseUrl === undefined ? `/${path}` : new URL(path, publicBaseUrl).href;
}
