// infra/ reaches every service as the app's user-assigned identity, with only the roles it
// needs, and writes no key anywhere: no list*() call, no key-bearing string, no secret output,
// local (key) authentication off wherever the service allows it.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isObject, readBicep, varValue } from './bicep-source.js';
import { ROOT, readRepoFile } from './settings-sources.js';

// Azure's built-in role definition ids (the same in every tenant).
const BUILT_IN_ROLES: Record<string, string> = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
  serviceBusDataSender: '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39',
  serviceBusDataReceiver: '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0',
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb',
  durableTaskDataContributor: '0ad04412-c4d5-4796-b79c-f76d14c8d402',
};

const infraFiles = (dir = join(ROOT, 'infra')): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? infraFiles(join(dir, e.name)) : /\.(bicep|json)$/.test(e.name) ? [join(dir, e.name)] : [],
  );

describe('the identity gets only the roles it needs', () => {
  const rbac = readBicep(readRepoFile('infra/app/rbac.bicep'));

  it('role ids are the built-in roles they are named after', () => {
    const roles = varValue(rbac, 'roles');
    expect(isObject(roles) ? roles : {}).toEqual(BUILT_IN_ROLES);
  });

  it('the app identity: blob owner, queue and table contributor, Service Bus send and receive, metrics, the task hub', () => {
    const grants = [
      ...rbac.source.matchAll(
        /resource (app\w+) '[^']+' = (?:if \([^)]*\) )?(?:\[\s*for role in (\w+):)?[\s\S]*?roleDefinitionId: [^\n]*?(?:roles\.(\w+)|role)\)\s*\n\s*principalId: (\w+)/g,
      ),
    ].map((m) => ({
      resource: m[1],
      roles: m[2] ?? m[3],
      principal: m[4],
    }));
    expect(grants).toEqual([
      { resource: 'appStorage', roles: 'storageRoles', principal: 'identityPrincipalId' },
      { resource: 'appServiceBus', roles: 'serviceBusRoles', principal: 'identityPrincipalId' },
      { resource: 'appTelemetry', roles: 'monitoringMetricsPublisher', principal: 'identityPrincipalId' },
      { resource: 'appScheduler', roles: 'durableTaskDataContributor', principal: 'identityPrincipalId' },
    ]);
    const names = (list: string) => {
      const value = varValue(rbac, list);
      return Array.isArray(value) ? value.map((v) => (typeof v === 'object' && v !== null && 'text' in v ? v.text : v)) : [];
    };
    expect(names('storageRoles')).toEqual([
      'roles.storageBlobDataOwner',
      'roles.storageQueueDataContributor',
      'roles.storageTableDataContributor',
    ]);
    expect(names('serviceBusRoles')).toEqual(['roles.serviceBusDataSender', 'roles.serviceBusDataReceiver']);
  });

  it('every assignment is scoped to one resource, never the resource group or subscription', () => {
    const scopes = [...rbac.source.matchAll(/roleAssignments@[^']+' = [\s\S]*?\n\s*scope: (\w+)/g)].map((m) => m[1]);
    expect(scopes.length).toBe([...rbac.resources.values()].filter((t) => t.startsWith('Microsoft.Authorization/roleAssignments@')).length);
    for (const scope of scopes) expect(['storage', 'namespace', 'applicationInsights', 'scheduler']).toContain(scope);
  });
});

describe('no keys, local authentication off', () => {
  it('no file in infra/ reads or writes a key', () => {
    for (const path of infraFiles()) {
      const text = readRepoFile(path.slice(ROOT.length + 1));
      expect(text, path).not.toMatch(
        /\blist(Keys|ConnectionStrings|AccountSas|ServiceSas|Secrets)\s*\(|AccountKey=|SharedAccessKey|primaryKey|@secure\(\)/i,
      );
    }
  });

  it('outputs are names and addresses, none a connection string', () => {
    for (const path of infraFiles().filter((p) => p.endsWith('.bicep'))) {
      for (const m of readRepoFile(path.slice(ROOT.length + 1)).matchAll(/^output\s+(\w+)\s+\w+\s*=\s*(.*)$/gm)) {
        expect(`${m[1]} = ${m[2]}`, path).not.toMatch(/connectionstring|\bkey\b|password|secret/i);
      }
    }
  });

  it('storage, Service Bus, Application Insights and publishing accept identities only', () => {
    expect(readRepoFile('infra/app/storage.bicep')).toMatch(/allowSharedKeyAccess: false/);
    expect(readRepoFile('infra/app/storage.bicep')).toMatch(/allowBlobPublicAccess: false/);
    expect(readRepoFile('infra/app/servicebus.bicep')).toMatch(/disableLocalAuth: true/);
    expect(readRepoFile('infra/app/monitoring.bicep')).toMatch(/DisableLocalAuth: true/);
    const app = readRepoFile('infra/app/function-app.bicep');
    expect(
      [...app.matchAll(/'basicPublishingCredentialsPolicies' = \{\s*name: '(\w+)'\s*properties: \{\s*allow: false/g)].map((m) => m[1]),
    ).toEqual(['ftp', 'scm']);
    expect(app).toMatch(/APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=\$\{identityClientId\};Authorization=AAD'/);
  });

  it('the Flex Consumption app reads its package with the identity and runs Node 20', () => {
    const app = readRepoFile('infra/app/function-app.bicep');
    expect(app).toMatch(/name: 'FC1'\s*tier: 'FlexConsumption'/);
    expect(app).toMatch(
      /type: 'blobContainer'[\s\S]*?authentication: \{\s*type: 'UserAssignedIdentity'\s*userAssignedIdentityResourceId: identityId/,
    );
    expect(app).toMatch(/scaleAndConcurrency: \{\s*maximumInstanceCount: maximumInstanceCount\s*instanceMemoryMB: instanceMemoryMB/);
    expect(app).toMatch(/runtime: \{\s*name: 'node'\s*version: '20'/);
  });
});
