// The Idempotency-Key record over real blob storage (Azurite, the npm package): of many racing
// creators exactly one creates it, of two racing advances of one version exactly one wins, and a
// blob under the record's name that the gateway did not write is refused, not guessed at.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BlobStore } from '../../src/gateway/blob-store.js';
import { KEY_RECORD_PREFIX, keyRecordsIn } from '../../src/gateway/key-records.js';
import { useTestAzurite } from '../support/stack.js';

const azurite = useTestAzurite();
const CONTAINER = 'gateway';

function records() {
  const blobs = new BlobStore(azurite.connectionString);
  return { blobs, records: keyRecordsIn(blobs, CONTAINER) };
}

describe('key records', () => {
  it('of ten racing creators exactly one creates the record; every reader then sees its fingerprint at attempt 1', async () => {
    const { records: store } = records();
    const id = randomUUID();
    const created = await Promise.all(Array.from({ length: 10 }, (_, i) => store.create(id, `hash-${i}`)));
    const winners = created.filter((r) => r !== undefined);
    expect(winners).toHaveLength(1);
    const read = await store.read(id);
    expect(read).toMatchObject({ id, bodyHash: winners[0]?.bodyHash, attempt: 1, etag: winners[0]?.etag });
    // Storage's clock, not ours: close to now all the same.
    expect(Math.abs((read?.claimedAt.getTime() ?? 0) - Date.now())).toBeLessThan(60_000);
  });

  it('two racing advances of one version: exactly one moves it to the next attempt', async () => {
    const { records: store } = records();
    const id = randomUUID();
    const first = await store.create(id, 'h');
    if (first === undefined) throw new Error('not created');
    const advanced = await Promise.all([store.advance(first, 2), store.advance(first, 2)]);
    expect(advanced.filter((r) => r !== undefined)).toHaveLength(1);
    expect((await store.read(id))?.attempt).toBe(2);
    // The old version can no longer be advanced.
    expect(await store.advance(first, 3)).toBeUndefined();
    expect(await store.read(randomUUID())).toBeUndefined();
  });

  it('a blob under the record name that is not a record is refused with its name', async () => {
    const { blobs, records: store } = records();
    const id = randomUUID();
    await blobs.write(CONTAINER, `${KEY_RECORD_PREFIX}${id}`, Buffer.from('{"bodyHash":"h","attempt":0}'), {
      contentType: 'application/json',
    });
    await expect(store.read(id)).rejects.toThrow(`${KEY_RECORD_PREFIX}${id} is not an Idempotency-Key record`);
  });
});
