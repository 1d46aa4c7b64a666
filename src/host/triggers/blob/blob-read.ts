// Reading one blob version, and the trigger metadata the real host binds beside it.
import type { BlobClient, BlobDownloadResponseParsed } from '@azure/storage-blob';
import { toWorkerMetadata } from '../worker-metadata.js';

/** One version of a blob as the trigger hands it over: content and what the real host binds beside it. */
export interface BlobVersion {
  content: Buffer;
  etag: string;
  blobType: string;
  properties: Record<string, unknown>;
  metadata: Record<string, string>;
}

/**
 * Reads a blob in one request, so content, ETag and properties belong to the same version even if
 * the blob is overwritten meanwhile. Undefined when the blob is gone (deleted after listing).
 */
export async function readBlob(blob: BlobClient): Promise<BlobVersion | undefined> {
  let res: BlobDownloadResponseParsed;
  try {
    res = await blob.download();
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    throw err;
  }
  const content = await readAll(res.readableStreamBody);
  const md5 = res.blobContentMD5 ?? res.contentMD5;
  // Named as the real host's BlobProperties (.NET) after the Node worker's camel-casing.
  const properties = dropUndefined({
    blobType: res.blobType,
    contentLength: res.contentLength,
    contentType: res.contentType,
    contentEncoding: res.contentEncoding,
    contentLanguage: res.contentLanguage,
    contentDisposition: res.contentDisposition,
    cacheControl: res.cacheControl,
    contentHash: md5 ? Buffer.from(md5).toString('base64') : undefined,
    eTag: res.etag,
    lastModified: res.lastModified?.toISOString(),
    createdOn: res.createdOn?.toISOString(),
    leaseState: res.leaseState,
    leaseStatus: res.leaseStatus,
    isServerEncrypted: res.isServerEncrypted,
  });
  return { content, etag: res.etag ?? '', blobType: res.blobType ?? 'BlockBlob', properties, metadata: res.metadata ?? {} };
}

/**
 * `context.triggerMetadata` as a Node app sees it in Azure: the host's blob binding data (path
 * tokens, `BlobTrigger`, `Uri`, `Properties`, `Metadata`) through the worker's conversion, so a
 * `{FileName}` token arrives as `fileName`, metadata keys camel-cased, and a token value that is
 * JSON (a blob named `42`) arrives parsed, as the worker's `fromRpcTriggerMetadata` does.
 */
export function blobTriggerMetadata(
  blobPath: string,
  uri: string,
  tokens: Record<string, string>,
  version: BlobVersion,
): Record<string, unknown> {
  return toWorkerMetadata({
    ...tokens,
    BlobTrigger: blobPath,
    Uri: uri,
    Properties: { ...version.properties, Metadata: version.metadata },
    Metadata: version.metadata,
  });
}

function dropUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined));
}

async function readAll(stream: NodeJS.ReadableStream | undefined): Promise<Buffer> {
  if (!stream) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}
