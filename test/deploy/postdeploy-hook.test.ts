// infra/hooks/postdeploy.sh, run for real, against a stand-in `az` on PATH: the Azure CLI cannot
// reach Azure from here, so the stand-in records the arguments and answers the key look-up. The
// test shows the hook subscribes the replies container's BlobCreated events to the blob reply
// trigger's webhook, never prints the key, and without the key warns and leaves blob replies off.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT } from './settings-sources.js';

const ENV = {
  AZURE_RESOURCE_GROUP: 'rg-test',
  AZURE_FUNCTION_APP_NAME: 'func-abc',
  AZURE_STORAGE_SYSTEM_TOPIC_NAME: 'evgt-blobs-abc',
  SERVICE_GATEWAY_URI: 'https://func-abc.azurewebsites.net',
  GATEWAY_REPLIES_CONTAINER: 'replies',
};

describe('infra/hooks/postdeploy.sh (azd postdeploy)', () => {
  let dir = '';
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = '';
  });

  function run(key: string, env: Record<string, string> = ENV) {
    dir = mkdtempSync(join(tmpdir(), 'postdeploy-'));
    const log = join(dir, 'az.log');
    const az = join(dir, 'az');
    // One line per call, arguments separated by a tab.
    writeFileSync(
      az,
      `#!/bin/sh\nprintf '%s\\t' "$@" >> '${log}'\necho >> '${log}'\ncase "$1 $2" in\n  "functionapp keys") printf '%s\\n' '${key}' ;;\nesac\n`,
    );
    chmodSync(az, 0o755);
    const result = spawnSync('sh', [join(ROOT, 'infra/hooks/postdeploy.sh')], {
      encoding: 'utf8',
      env: { PATH: `${dir}:${process.env.PATH ?? ''}`, ...env },
    });
    const calls = (() => {
      try {
        return readFileSync(log, 'utf8')
          .trim()
          .split('\n')
          .map((line) => line.split('\t').filter(Boolean));
      } catch {
        return [];
      }
    })();
    return { ...result, calls };
  }

  it('subscribes BlobCreated in the replies container to the blobReply webhook with the blobs_extension key', () => {
    const result = run('s3cr3t-key');
    expect(result.status).toBe(0);
    expect(result.calls[0]).toEqual([
      'functionapp',
      'keys',
      'list',
      '--resource-group',
      'rg-test',
      '--name',
      'func-abc',
      '--query',
      'systemKeys.blobs_extension',
      '--output',
      'tsv',
    ]);
    const create = result.calls[1] ?? [];
    const option = (name: string) => create[create.indexOf(name) + 1];
    expect(create.slice(0, 4)).toEqual(['eventgrid', 'system-topic', 'event-subscription', 'create']);
    expect(option('--system-topic-name')).toBe('evgt-blobs-abc');
    expect(option('--endpoint-type')).toBe('webhook');
    expect(option('--endpoint')).toBe(
      'https://func-abc.azurewebsites.net/runtime/webhooks/blobs?functionName=Host.Functions.blobReply&code=s3cr3t-key',
    );
    expect(option('--included-event-types')).toBe('Microsoft.Storage.BlobCreated');
    expect(option('--subject-begins-with')).toBe('/blobServices/default/containers/replies/');
    expect(result.stdout + result.stderr).not.toContain('s3cr3t-key');
  });

  it('without the key (no EventGrid blob trigger deployed yet) warns and creates nothing', () => {
    const result = run('');
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(/WARNING no blobs_extension key on func-abc/);
    expect(result.calls.map((c) => c[0])).toEqual(['functionapp']);
  });

  it('names the output it misses when provision has not run', () => {
    const { GATEWAY_REPLIES_CONTAINER: _, ...partial } = ENV;
    const result = run('k', partial);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/GATEWAY_REPLIES_CONTAINER is not set/);
    expect(result.calls).toEqual([]);
  });
});
