// host.json's Durable storage provider as the local host reads it: the repo's own two variants
// (host.json for Azure Storage, host.dts.json for the Durable Task Scheduler) and a refused type.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readAppConfig } from '../../src/host/app-config.js';

const repo = path.join(__dirname, '../..');
const folders: string[] = [];

function appWith(hostJson: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'app-config-'));
  folders.push(dir);
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ main: 'dist/*.js' }));
  fs.writeFileSync(path.join(dir, 'host.json'), hostJson);
  return dir;
}

afterEach(() => {
  for (const dir of folders.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('host.json storageProvider', () => {
  it('host.json (Azure Storage): state in AzureWebJobsStorage', () => {
    const config = readAppConfig(appWith(fs.readFileSync(path.join(repo, 'host.json'), 'utf8')));
    expect(config).toMatchObject({ durableProvider: 'azureStorage', storageSetting: 'AzureWebJobsStorage', hubName: 'SyncOverAsyncHub' });
  });

  it('host.dts.json (Durable Task Scheduler) is accepted; its scheduler connection is not taken for storage', () => {
    const config = readAppConfig(appWith(fs.readFileSync(path.join(repo, 'host.dts.json'), 'utf8')));
    expect(config).toMatchObject({ durableProvider: 'azureManaged', storageSetting: 'AzureWebJobsStorage', hubName: 'SyncOverAsyncHub' });
  });

  it('a connectionName under Azure Storage names the storage setting', () => {
    const config = readAppConfig(appWith('{"extensions":{"durableTask":{"storageProvider":{"connectionName":"DurableStorage"}}}}'));
    expect(config).toMatchObject({ durableProvider: 'azureStorage', storageSetting: 'DurableStorage' });
  });

  it('an unknown provider type is refused at start, naming the setting', () => {
    const dir = appWith('{"extensions":{"durableTask":{"storageProvider":{"type":"mssql"}}}}');
    expect(() => readAppConfig(dir)).toThrow(/storageProvider\.type "mssql"/);
  });
});
