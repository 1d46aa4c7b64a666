// The Durable backend choice: host.dts.json is host.json with the Durable Task Scheduler as its
// storage provider and nothing else changed, it names the connection setting function-app.bicep
// writes and the task hub the scheduler gets, and the azd package hook really swaps the file in
// and back (the script is run, in a scratch copy of the two files).
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readBicep, varValue } from './bicep-source.js';
import { ROOT, readRepoFile } from './settings-sources.js';

type Json = Record<string, unknown>;
type HostJson = { extensions: { durableTask: Json & { hubName?: string; storageProvider?: Json } } };

const hostJson = JSON.parse(readRepoFile('host.json')) as HostJson;
const dtsJson = JSON.parse(readRepoFile('host.dts.json')) as HostJson;

describe('host.dts.json', () => {
  it('is host.json with only the Durable storage provider replaced', () => {
    const without = (host: HostJson) => {
      const copy = structuredClone(host);
      delete copy.extensions.durableTask.storageProvider;
      return copy;
    };
    expect(without(dtsJson)).toEqual(without(hostJson));
  });

  it('uses the azureManaged provider with the connection setting function-app.bicep writes', () => {
    const provider = dtsJson.extensions.durableTask.storageProvider;
    expect(provider?.type).toBe('azureManaged');
    expect(readRepoFile('infra/app/function-app.bicep')).toMatch(
      new RegExp(
        `\\b${String(provider?.connectionStringName)}: 'Endpoint=\\$\\{schedulerEndpoint\\};Authentication=ManagedIdentity;ClientID=\\$\\{identityClientId\\}'`,
      ),
    );
  });

  it('names the task hub the scheduler is given', () => {
    expect(varValue(readBicep(readRepoFile('infra/main.bicep')), 'taskHubName')).toBe(dtsJson.extensions.durableTask.hubName);
    expect(dtsJson.extensions.durableTask.hubName).toBe(hostJson.extensions.durableTask.hubName);
  });
});

describe('infra/hooks/select-host-json.sh (azd prepackage/postpackage)', () => {
  const script = join(ROOT, 'infra/hooks/select-host-json.sh');
  let dir = '';
  const scratch = () => {
    dir = mkdtempSync(join(tmpdir(), 'select-host-json-'));
    copyFileSync(join(ROOT, 'host.json'), join(dir, 'host.json'));
    copyFileSync(join(ROOT, 'host.dts.json'), join(dir, 'host.dts.json'));
    return dir;
  };
  const run = (cwd: string, step: string, backend?: string) =>
    spawnSync('sh', [script, step], {
      cwd,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, ...(backend ? { DURABLE_BACKEND: backend } : {}) },
    });
  const host = (cwd: string) => readFileSync(join(cwd, 'host.json'), 'utf8');

  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = '';
  });

  it('packages host.dts.json for the scheduler and puts host.json back afterwards', () => {
    const cwd = scratch();
    expect(run(cwd, 'apply', 'durableTaskScheduler').status).toBe(0);
    expect(host(cwd)).toBe(readRepoFile('host.dts.json'));
    expect(run(cwd, 'restore').status).toBe(0);
    expect(host(cwd)).toBe(readRepoFile('host.json'));
  });

  it('leaves host.json alone for the Azure Storage backend, the default', () => {
    const cwd = scratch();
    for (const backend of ['azureStorage', undefined]) {
      expect(run(cwd, 'apply', backend).status).toBe(0);
      expect(host(cwd)).toBe(readRepoFile('host.json'));
      expect(run(cwd, 'restore').status).toBe(0);
      expect(host(cwd)).toBe(readRepoFile('host.json'));
    }
  });

  it('a second apply after a failed package restores first, so the original is never lost', () => {
    const cwd = scratch();
    execFileSync('sh', [script, 'apply'], { cwd, env: { PATH: process.env.PATH, DURABLE_BACKEND: 'durableTaskScheduler' } });
    expect(run(cwd, 'apply', 'durableTaskScheduler').status).toBe(0);
    expect(run(cwd, 'restore').status).toBe(0);
    expect(host(cwd)).toBe(readRepoFile('host.json'));
  });

  it('refuses an unknown backend by name and changes nothing', () => {
    const cwd = scratch();
    const result = run(cwd, 'apply', 'cosmos');
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/DURABLE_BACKEND must be azureStorage or durableTaskScheduler, got 'cosmos'/);
    expect(host(cwd)).toBe(readRepoFile('host.json'));
  });
});
