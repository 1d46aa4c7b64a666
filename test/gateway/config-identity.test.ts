// Identity-based connections in the gateway's config: read as the Functions host reads them,
// connection strings still first, and a partial identity connection refused at start with the
// setting to add named. (The identity path itself, tokens and all, is proven in
// test/e2e/identity-connections.test.ts.)
import { describe, expect, it } from 'vitest';
import { parseConfig, parseServiceBusSettings } from '../../src/gateway/config.js';
import { ConfigError } from '../../src/gateway/errors.js';

function refusal(env: Record<string, string>): ConfigError {
  try {
    parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('identity-based connections', () => {
  it('AzureWebJobsStorage__accountName with a user-assigned identity → the account blob endpoint and that identity', () => {
    const config = parseConfig({
      AzureWebJobsStorage__accountName: 'stgateway1',
      AzureWebJobsStorage__credential: 'managedidentity',
      AzureWebJobsStorage__clientId: '00000000-0000-0000-0000-000000000001',
    });
    expect(config.storageConnection).toEqual({
      kind: 'identity',
      setting: 'AzureWebJobsStorage',
      serviceUris: {
        blob: 'https://stgateway1.blob.core.windows.net',
        queue: 'https://stgateway1.queue.core.windows.net',
        table: 'https://stgateway1.table.core.windows.net',
      },
      credential: { credential: 'managedidentity', clientId: '00000000-0000-0000-0000-000000000001' },
    });
  });

  it('__blobServiceUri alone is enough for the gateway (it uses blobs only); keys are case-insensitive as in the host', () => {
    const config = parseConfig({ azurewebjobsstorage__BLOBSERVICEURI: 'https://127.0.0.1:10000/devstoreaccount1/' });
    expect(config.storageConnection).toMatchObject({ kind: 'identity', serviceUris: { blob: 'https://127.0.0.1:10000/devstoreaccount1' } });
  });

  it('a connection string wins over __ settings beside it, as on Azure', () => {
    const config = parseConfig({ AzureWebJobsStorage: 'UseDevelopmentStorage=true', AzureWebJobsStorage__accountName: 'ignored1' });
    expect(config.storageConnection.kind).toBe('connectionString');
  });

  it('ServiceBusConnection__fullyQualifiedNamespace → the namespace and the identity', () => {
    const settings = parseServiceBusSettings({
      ServiceBusConnection__fullyQualifiedNamespace: 'sb-gw.servicebus.windows.net',
      ServiceBusConnection__credential: 'managedidentity',
      ServiceBusConnection__clientId: 'abc',
    });
    expect(settings?.connection).toEqual({
      kind: 'identity',
      setting: 'ServiceBusConnection',
      fullyQualifiedNamespace: 'sb-gw.servicebus.windows.net',
      credential: { credential: 'managedidentity', clientId: 'abc' },
    });
  });

  it('neither form complete: the message names what to set', () => {
    const none = refusal({});
    expect(none.setting).toBe('AzureWebJobsStorage');
    expect(none.message).toMatch(/AzureWebJobsStorage__accountName.*__blobServiceUri/);

    const noUri = refusal({ AzureWebJobsStorage__credential: 'managedidentity', AzureWebJobsStorage__clientId: 'x' });
    expect(noUri.setting).toBe('AzureWebJobsStorage');
    expect(noUri.message).toMatch(
      /without a blob service URI: set AzureWebJobsStorage__accountName, or AzureWebJobsStorage__blobServiceUri/,
    );

    expect(refusal({ AzureWebJobsStorage__accountName: 'Not_An_Account' }).setting).toBe('AzureWebJobsStorage__accountName');
    expect(refusal({ AzureWebJobsStorage__blobServiceUri: 'not a uri' }).setting).toBe('AzureWebJobsStorage__blobServiceUri');
    // A SAS in the URI would be a key by another name: the identity signs, nothing else.
    expect(refusal({ AzureWebJobsStorage__blobServiceUri: 'https://a.blob.core.windows.net/?sig=x' }).message).not.toContain('sig=x');
    expect(
      refusal({ AzureWebJobsStorage: 'UseDevelopmentStorage=true', ServiceBusConnection__fullyQualifiedNamespace: 'sb://ns:5671' }).setting,
    ).toBe('ServiceBusConnection__fullyQualifiedNamespace');
    expect(
      refusal({
        AzureWebJobsStorage: 'UseDevelopmentStorage=true',
        ServiceBusConnection__fullyQualifiedNamespace: 'sb-gw.servicebus.windows.net',
        ServiceBusConnection__credential: 'managedidentity',
        ServiceBusConnection__clientId: 'a',
        ServiceBusConnection__managedIdentityResourceId: '/subscriptions/x',
      }).setting,
    ).toBe('ServiceBusConnection__clientId');
  });

  it('the servicebus channel with an identity connection needs no connection string', () => {
    const config = parseConfig({
      AzureWebJobsStorage__accountName: 'stgateway1',
      ServiceBusConnection__fullyQualifiedNamespace: 'sb-gw.servicebus.windows.net',
      GATEWAY_REQUEST_CHANNEL: 'servicebus',
    });
    expect(config.serviceBus?.connection.kind).toBe('identity');
  });
});

describe('GATEWAY_BLOB_TRIGGER_SOURCE', () => {
  const base = { AzureWebJobsStorage: 'UseDevelopmentStorage=true' };
  it('defaults to the host default, takes EventGrid in any case, refuses anything else by name', () => {
    expect(parseConfig(base).blobTriggerSource).toBe('LogsAndContainerScan');
    expect(parseConfig({ ...base, GATEWAY_BLOB_TRIGGER_SOURCE: 'eventgrid' }).blobTriggerSource).toBe('EventGrid');
    expect(refusal({ ...base, GATEWAY_BLOB_TRIGGER_SOURCE: 'Polling' }).setting).toBe('GATEWAY_BLOB_TRIGGER_SOURCE');
  });
});
