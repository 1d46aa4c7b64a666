// Azurite's child runs with the heap flags `startAzurite` gives it (AZURITE_NODE_FLAGS), and a
// Node that does not know one of them would refuse to start it: both are checked on a real Azurite.
import fs from 'node:fs';
import { BlobServiceClient } from '@azure/storage-blob';
import { describe, expect, it } from 'vitest';
import { AZURITE_NODE_FLAGS } from '../../../src/host/storage/azurite.js';
import { useTestAzurite } from '../../support/stack.js';

describe('Azurite heap flags', () => {
  const azurite = useTestAzurite();

  it('starts Azurite with the flags before its script, and it serves', async () => {
    const argv = fs.readFileSync(`/proc/${azurite.pid}/cmdline`, 'utf8').split('\0');
    // Node flags only count before the script path.
    expect(argv.slice(1, 1 + AZURITE_NODE_FLAGS.length)).toEqual([...AZURITE_NODE_FLAGS]);
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('heap-flags');
    await container.create();
    await container.getBlockBlobClient('b').upload('x', 1);
    expect((await container.getBlockBlobClient('b').downloadToBuffer()).toString()).toBe('x');
  }, 60_000);
});
