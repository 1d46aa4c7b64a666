/**
 * The host's keys, kept where the real Functions host keeps them: the `azure-webjobs-secrets`
 * container of the storage account, `{hostId}/host.json` in the host's `HostSecrets` shape
 * (`masterKey`, `functionKeys`, `systemKeys`, each `{name, value, encrypted}`) and
 * `{hostId}/{function}.json` (`{"keys": [...]}`) for function keys. They are generated once, by
 * whichever host instance gets there first (a conditional create), and read back after that, so
 * every restart and every instance on the same storage answers to the same keys.
 */
import { randomBytes } from 'node:crypto';
import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';

export const SECRETS_CONTAINER = 'azure-webjobs-secrets';
/** The system key the Durable extension's webhooks require: `{extension}_extension`. */
export const DURABLE_SYSTEM_KEY = 'durabletask_extension';

export interface HostKeys {
  master: string;
  /** Host-level function keys (`default` first): they open every function-level route. */
  functionKeys: Record<string, string>;
  systemKeys: Record<string, string>;
  /** Keys of one function, from `{function}.json`, by function name in lower case. */
  perFunction: Record<string, Record<string, string>>;
  /** `azure-webjobs-secrets/{hostId}/host.json`, for the start banner. */
  location: string;
}

interface SecretKey {
  name: string;
  value: string;
  encrypted: boolean;
}
interface HostSecretsJson {
  masterKey?: SecretKey;
  functionKeys?: SecretKey[];
  systemKeys?: SecretKey[];
  [other: string]: unknown;
}

/** 40 random bytes, URL-safe: a key that survives being pasted into `?code=`. */
export function generateKey(): string {
  return randomBytes(40).toString('base64url');
}

export async function loadOrCreateHostKeys(blobs: BlobServiceClient, hostId: string, functionNames: string[]): Promise<HostKeys> {
  const container = blobs.getContainerClient(SECRETS_CONTAINER);
  await container.createIfNotExists();
  const id = hostId.toLowerCase();
  const secrets = await ensureHostSecrets(container, `${id}/host.json`, id);
  const perFunction: HostKeys['perFunction'] = {};
  for (const name of functionNames) {
    const json = (await readJson(container, `${id}/${name.toLowerCase()}.json`))?.json as { keys?: unknown } | undefined;
    if (Array.isArray(json?.keys)) perFunction[name.toLowerCase()] = toMap(json.keys as SecretKey[], `${id}/${name.toLowerCase()}.json`);
  }
  const where = `${SECRETS_CONTAINER}/${id}/host.json`;
  return {
    master: plain(secrets.masterKey as SecretKey, where),
    functionKeys: toMap(secrets.functionKeys ?? [], where),
    systemKeys: toMap(secrets.systemKeys ?? [], where),
    perFunction,
    location: where,
  };
}

/** Reads host.json, creating it (or adding the Durable system key to it) when it lacks keys. */
async function ensureHostSecrets(container: ContainerClient, blobName: string, hostId: string): Promise<HostSecretsJson> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const found = await readJson(container, blobName);
    const secrets: HostSecretsJson = (found?.json as HostSecretsJson | undefined) ?? {};
    const complete = secrets.masterKey && secrets.functionKeys?.length && secrets.systemKeys?.some((k) => k.name === DURABLE_SYSTEM_KEY);
    if (complete) return secrets;
    const next: HostSecretsJson = {
      ...secrets,
      masterKey: secrets.masterKey ?? newKey('master'),
      functionKeys: secrets.functionKeys?.length ? secrets.functionKeys : [newKey('default')],
      systemKeys: [...(secrets.systemKeys ?? []).filter((k) => k.name !== DURABLE_SYSTEM_KEY), newKey(DURABLE_SYSTEM_KEY)],
      hostName: secrets.hostName ?? null,
      instanceId: secrets.instanceId ?? hostId,
      source: secrets.source ?? 'runtime',
      decryptionKeyId: secrets.decryptionKeyId ?? '',
    };
    const text = JSON.stringify(next, null, 2);
    try {
      // As the real host writes it: create only if absent, update only the version we read.
      await container.getBlockBlobClient(blobName).upload(text, Buffer.byteLength(text), {
        conditions: found ? { ifMatch: found.etag } : { ifNoneMatch: '*' },
        blobHTTPHeaders: { blobContentType: 'application/json' },
      });
      return next;
    } catch (err) {
      const status = (err as { statusCode?: number }).statusCode;
      // Another instance wrote first: read what it wrote.
      if (status !== 409 && status !== 412) throw err;
    }
  }
  throw new Error(`Could not settle ${SECRETS_CONTAINER}/${blobName}: it kept changing while the host wrote it.`);
}

async function readJson(container: ContainerClient, blobName: string): Promise<{ json: unknown; etag: string } | undefined> {
  let buffer: Buffer;
  let etag: string;
  try {
    // One download gives the bytes and the ETag of exactly those bytes.
    const res = await container.getBlobClient(blobName).download();
    etag = res.etag ?? '';
    const chunks: Buffer[] = [];
    for await (const chunk of res.readableStreamBody ?? []) chunks.push(chunk as Buffer);
    buffer = Buffer.concat(chunks);
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    throw err;
  }
  try {
    return { json: JSON.parse(buffer.toString('utf8').replace(/^\uFEFF/, '')), etag };
  } catch (err) {
    throw new Error(`${SECRETS_CONTAINER}/${blobName} is not valid JSON (${(err as Error).message}): fix or delete it.`);
  }
}

function newKey(name: string): SecretKey {
  return { name, value: generateKey(), encrypted: false };
}

function plain(key: SecretKey, where: string): string {
  if (typeof key?.value !== 'string' || !key.value) throw new Error(`${where}: key "${key?.name}" has no value.`);
  // Azure encrypts keys with the site's machine key, which a local host does not have.
  if (key.encrypted)
    throw new Error(`${where}: key "${key.name}" is encrypted; the local host reads plain keys only (set "encrypted": false).`);
  return key.value;
}

function toMap(keys: SecretKey[], where: string): Record<string, string> {
  return Object.fromEntries(keys.map((k) => [k.name, plain(k, where)]));
}
