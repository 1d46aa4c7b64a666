/**
 * The data folder: where this host keeps the task hub's commit log and checkpoints. By default
 * `.durable/<hub>-<storage>` under the app folder, one per task hub and storage account (tests and
 * parallel apps on other Azurites never share one). The folder belongs to one life of the task
 * hub: a marker blob in the hub's storage names it, so a folder left over from a storage account
 * that has since been wiped (a fresh in-memory Azurite, say) is recognised and not replayed, just
 * as wiping the account wipes a hub on Azure.
 */
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ContainerClient } from '@azure/storage-blob';

const MARKER_BLOB = 'local-host-data.json';
const MARKER_FILE = 'hub-id';

export function defaultDataFolder(appDir: string, hubName: string, blobEndpoint: string): string {
  const account = createHash('sha256').update(blobEndpoint).digest('hex').slice(0, 10);
  return path.join(appDir, '.durable', `${hubName}-${account}`);
}

/**
 * Makes sure the folder exists and belongs to the hub's storage. A folder from another life of
 * the hub is emptied rather than replayed: its name already ties it to this storage endpoint, so
 * only a wiped account leaves one behind, and a wiped account is a wiped hub.
 */
export async function claimDataFolder(
  dir: string,
  container: ContainerClient,
  log: (level: 'info' | 'warn', message: string) => void,
): Promise<void> {
  const blob = container.getBlockBlobClient(MARKER_BLOB);
  let hubId: string;
  try {
    hubId = (JSON.parse((await blob.downloadToBuffer()).toString('utf8')) as { hubId: string }).hubId;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 404) throw err;
    hubId = randomUUID();
    const text = JSON.stringify({ hubId, createdTime: new Date().toISOString() });
    await blob.upload(text, Buffer.byteLength(text), { conditions: { ifNoneMatch: '*' } }).catch(async (e: unknown) => {
      if ((e as { statusCode?: number }).statusCode !== 409) throw e;
      hubId = (JSON.parse((await blob.downloadToBuffer()).toString('utf8')) as { hubId: string }).hubId;
    });
  }
  const markerFile = path.join(dir, MARKER_FILE);
  if (fs.existsSync(dir)) {
    const mine = fs.existsSync(markerFile) ? fs.readFileSync(markerFile, 'utf8').trim() : undefined;
    if (mine === hubId) return;
    if (fs.readdirSync(dir).length > 0) {
      fs.rmSync(dir, { recursive: true, force: true });
      log('warn', `Data folder ${dir} belonged to an earlier life of this task hub (its storage no longer knows it); started afresh.`);
    }
  }
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(markerFile, hubId + '\n');
}
