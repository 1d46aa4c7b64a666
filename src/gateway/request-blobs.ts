// Where the gateway keeps blobs that belong to one request, so retention can delete all of them
// with the request. The rule every per-request blob follows: it lives in one of these places (a
// container and a folder in it) and its name there is the request id, or starts with the id
// followed by "/" or "." (`abc`, `abc.json/<etag>`, `abc/<uuid>`, `idempotency/abc`). A new kind
// of per-request blob that follows the rule in one of these places is covered without a change
// here; one kept elsewhere adds its place to `requestBlobPlaces`.
import type { GatewayConfig } from './config.js';
import { ID_SECRET_BLOB } from './id-secret.js';
import { KEY_RECORD_PREFIX } from './key-records.js';

export interface RequestBlobPlace {
  container: string;
  /** "" or a folder ending in "/". */
  folder: string;
}

/** The places retention sweeps for a request's blobs (deduplicated; order does not matter). */
export function requestBlobPlaces(
  config: Pick<GatewayConfig, 'requestsContainer' | 'replyBodiesContainer' | 'gatewayContainer'>,
): RequestBlobPlace[] {
  const containers = new Set([
    // the request body (blob channel): `requests/{id}`
    config.requestsContainer,
    // claim checks of large replies: `{reply blob name}/{etag}` (blob) and `{id}/{uuid}` (Service Bus)
    config.replyBodiesContainer,
    // the gateway's own per-request blobs named by the id
    config.gatewayContainer,
  ]);
  return [
    ...[...containers].map((container) => ({ container, folder: '' })),
    // the Idempotency-Key record of a request started with a key
    { container: config.gatewayContainer, folder: KEY_RECORD_PREFIX },
  ];
}

/** Whether `name` (a full blob name in a place with that `folder`) is one of request `id`'s blobs. */
export function isRequestBlobName(name: string, id: string, folder = ''): boolean {
  // The gateway's own secret is never a request's, whatever id a forged instance was given.
  if (name === ID_SECRET_BLOB || !name.startsWith(folder)) return false;
  const rest = name.slice(folder.length);
  return rest === id || rest.startsWith(`${id}/`) || rest.startsWith(`${id}.`);
}
