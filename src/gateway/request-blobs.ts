// Where the gateway keeps blobs that belong to one request, so retention can delete all of them
// with the request. The rule every per-request blob follows: it lives in one of these containers
// and its name is the request id, or starts with the id followed by "/" or "." (`abc`,
// `abc.json/<etag>`, `abc/<uuid>`, `abc.idempotency`). A new kind of per-request blob that follows
// the rule in one of these containers is covered without a change here; one kept elsewhere adds
// its container to `requestBlobContainers`.
import type { GatewayConfig } from './config.js';
import { ID_SECRET_BLOB } from './id-secret.js';

/** The containers retention sweeps for a request's blobs (deduplicated; order does not matter). */
export function requestBlobContainers(
  config: Pick<GatewayConfig, 'requestsContainer' | 'replyBodiesContainer' | 'gatewayContainer'>,
): string[] {
  return [
    ...new Set([
      // the request body (blob channel): `requests/{id}`
      config.requestsContainer,
      // claim checks of large replies: `{reply blob name}/{etag}` (blob) and `{id}/{uuid}` (Service Bus)
      config.replyBodiesContainer,
      // the gateway's own per-request records (e.g. an idempotency record named by the request id)
      config.gatewayContainer,
    ]),
  ];
}

/** Whether `name` is one of request `id`'s blobs under the rule above. */
export function isRequestBlobName(name: string, id: string): boolean {
  // The gateway's own secret is never a request's, whatever id a forged instance was given.
  if (name === ID_SECRET_BLOB) return false;
  return name === id || name.startsWith(`${id}/`) || name.startsWith(`${id}.`);
}
