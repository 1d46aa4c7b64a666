// The Idempotency-Key record: one small blob per key (`idempotency/{request id}` in the gateway's
// container) holding the request's fingerprint and which attempt of it may run. Storage decides
// every race over it: the record is created with If-None-Match: * (exactly one submit creates it)
// and moved to the next attempt with If-Match (exactly one submit advances it), so the answer does
// not depend on whether the Durable backend refuses a second start of the same id (Azure Storage
// does not). Written by the gateway alone, but read back as input: a record that does not parse is
// refused loudly, never guessed at.
import type { BlobStore } from './blob-store.js';
import { isAttempt } from './contract-guards.js';

export const KEY_RECORD_PREFIX = 'idempotency/';
const CONTENT_TYPE = 'application/json';

export interface KeyRecord {
  id: string;
  /** fingerprintRequest() of the request the key was first used for. */
  bodyHash: string;
  /** The attempt that may run: started by whoever claimed it, or about to be. */
  attempt: number;
  /** The version read, for the conditional write that advances it. */
  etag: string;
  /** When storage wrote this version (its clock): how long the attempt has been claimed. */
  claimedAt: Date;
}

export interface KeyRecords {
  /** Creates the record at attempt 1; undefined when one exists (another submit created it). */
  create(id: string, bodyHash: string): Promise<KeyRecord | undefined>;
  /** The record as stored now, or undefined when there is none. */
  read(id: string): Promise<KeyRecord | undefined>;
  /** Moves exactly that version to `attempt`; undefined when another submit changed it first. */
  advance(record: KeyRecord, attempt: number): Promise<KeyRecord | undefined>;
}

function encode(bodyHash: string, attempt: number): Buffer {
  return Buffer.from(JSON.stringify({ bodyHash, attempt }), 'utf8');
}

function decode(id: string, bytes: Buffer, etag: string, claimedAt: Date): KeyRecord {
  let fields: unknown;
  try {
    fields = JSON.parse(bytes.toString('utf8'));
  } catch {
    fields = undefined;
  }
  const { bodyHash, attempt } = (typeof fields === 'object' && fields !== null ? fields : {}) as Record<string, unknown>;
  if (typeof bodyHash !== 'string' || !isAttempt(attempt)) {
    throw new Error(`${KEY_RECORD_PREFIX}${id} is not an Idempotency-Key record the gateway wrote`);
  }
  return { id, bodyHash, attempt, etag, claimedAt };
}

/** The records kept as blobs in `container` (GATEWAY_CONTAINER). */
export function keyRecordsIn(blobs: Pick<BlobStore, 'create' | 'readVersion' | 'replace'>, container: string): KeyRecords {
  const name = (id: string) => `${KEY_RECORD_PREFIX}${id}`;
  const read = async (id: string): Promise<KeyRecord | undefined> => {
    const found = await blobs.readVersion(container, name(id));
    return found && decode(id, found.bytes, found.etag, found.lastModified);
  };
  // The write's own answer gives the version and storage's clock: no read back.
  const write = async (id: string, bodyHash: string, attempt: number, ifMatch?: string): Promise<KeyRecord | undefined> => {
    const bytes = encode(bodyHash, attempt);
    const v = await (ifMatch === undefined
      ? blobs.create(container, name(id), bytes, { contentType: CONTENT_TYPE })
      : blobs.replace(container, name(id), bytes, CONTENT_TYPE, ifMatch));
    return v && { id, bodyHash, attempt, etag: v.etag, claimedAt: v.lastModified };
  };
  return {
    read,
    create: (id, bodyHash) => write(id, bodyHash, 1),
    advance: (record, attempt) => write(record.id, record.bodyHash, attempt, record.etag),
  };
}
