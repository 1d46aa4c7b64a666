import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadEmulatorConfigFile } from '../../src/emulators/servicebus/index.js';
import { parseConfig, parseServiceBusSettings } from '../../src/gateway/config.js';
import { ConfigError } from '../../src/gateway/errors.js';

const connection =
  'Endpoint=sb://localhost;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;';
const base = { AzureWebJobsStorage: 'UseDevelopmentStorage=true', ServiceBusConnection: connection };

function settingOf(parse: () => unknown): string {
  try {
    parse();
  } catch (error) {
    if (error instanceof ConfigError) {
      // The connection string holds a key: no message may echo it.
      expect(error.message).not.toContain('SAS_KEY_VALUE');
      return error.setting;
    }
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('Service Bus settings', () => {
  it('are absent without ServiceBusConnection: the gateway runs on blobs alone', () => {
    expect(parseServiceBusSettings({})).toBeUndefined();
    expect(parseServiceBusSettings({ ServiceBusConnection: '  ' })).toBeUndefined();
    expect(parseConfig({ AzureWebJobsStorage: 'UseDevelopmentStorage=true' }).serviceBus).toBeUndefined();
  });

  it('have the documented defaults', () => {
    expect(parseServiceBusSettings({ ServiceBusConnection: connection })).toEqual({
      connection: { kind: 'connectionString', setting: 'ServiceBusConnection', connectionString: connection },
      requestTopic: 'requests',
      replyTopic: 'replies',
      replySubscription: 'gateway',
      setAside: 'deadletter',
      rejectedQueue: 'replies-rejected',
      maxMessageBytes: 262_144,
      replyBodiesContainer: 'reply-bodies',
    });
  });

  it('read overrides, and the servicebus channel uses them', () => {
    const config = parseConfig({
      ...base,
      GATEWAY_REQUEST_CHANNEL: 'ServiceBus',
      GATEWAY_REQUEST_TOPIC: 'orders/in',
      GATEWAY_REPLY_TOPIC: 'orders.out',
      GATEWAY_REPLY_SUBSCRIPTION: 'gw_1',
      GATEWAY_REJECTED_REPLY_QUEUE: 'orders-rejected',
      GATEWAY_REPLY_SET_ASIDE: 'Forward',
      GATEWAY_SERVICEBUS_MAX_MESSAGE_BYTES: '1048576',
    });
    expect(config.requestChannel).toBe('servicebus');
    expect(config.serviceBus).toMatchObject({
      requestTopic: 'orders/in',
      replyTopic: 'orders.out',
      replySubscription: 'gw_1',
      rejectedQueue: 'orders-rejected',
      setAside: 'forward',
      maxMessageBytes: 1_048_576,
    });
    expect(Object.isFrozen(config.serviceBus)).toBe(true);
  });

  it.each([
    ['GATEWAY_REQUEST_TOPIC', '-requests'],
    ['GATEWAY_REPLY_TOPIC', 'replies!'],
    ['GATEWAY_REPLY_SUBSCRIPTION', 'a/b'],
    ['GATEWAY_REPLY_SUBSCRIPTION', 'x'.repeat(51)],
    ['GATEWAY_REJECTED_REPLY_QUEUE', 'q '.repeat(2)],
    ['GATEWAY_REPLY_BODIES_CONTAINER', 'Bodies'],
    ['GATEWAY_REPLY_SET_ASIDE', 'drop'],
    ['GATEWAY_SERVICEBUS_MAX_MESSAGE_BYTES', '1000'],
    ['GATEWAY_SERVICEBUS_MAX_MESSAGE_BYTES', '256KB'],
  ])('%s=%j is an error naming the setting', (setting, value) => {
    expect(settingOf(() => parseServiceBusSettings({ ServiceBusConnection: connection, [setting]: value }))).toBe(setting);
  });

  it('a request topic that is also the reply topic is refused (requests would be taken for replies), whatever the case', () => {
    expect(settingOf(() => parseServiceBusSettings({ ...base, GATEWAY_REQUEST_TOPIC: 'Replies' }))).toBe('GATEWAY_REQUEST_TOPIC');
    expect(settingOf(() => parseServiceBusSettings({ ...base, GATEWAY_REJECTED_REPLY_QUEUE: 'requests' }))).toBe(
      'GATEWAY_REJECTED_REPLY_QUEUE',
    );
  });

  it('claim-check blobs may not land in the replies container (the blob trigger would judge them)', () => {
    expect(settingOf(() => parseConfig({ ...base, GATEWAY_REPLY_BODIES_CONTAINER: 'replies' }))).toBe('GATEWAY_REPLY_BODIES_CONTAINER');
  });

  it('an identity-based connection without its namespace names the missing setting rather than being ignored', () => {
    expect(settingOf(() => parseServiceBusSettings({ ServiceBusConnection__credential: 'managedidentity' }))).toBe(
      'ServiceBusConnection__fullyQualifiedNamespace',
    );
  });

  it('the servicebus channel without a connection names ServiceBusConnection', () => {
    expect(settingOf(() => parseConfig({ AzureWebJobsStorage: 'x', GATEWAY_REQUEST_CHANNEL: 'servicebus' }))).toBe('ServiceBusConnection');
  });
});

describe('servicebus-emulator.json (the local endpoint topology npm start uses)', () => {
  it('holds every entity the default settings and the demo backend name', async () => {
    const topology = await loadEmulatorConfigFile(path.join(__dirname, '../../servicebus-emulator.json'));
    const settings = parseServiceBusSettings({ ServiceBusConnection: connection });
    const subscriptions = (topic: string | undefined) => topology.topics?.find((t) => t.name === topic)?.subscriptions.map((s) => s.name);
    expect(subscriptions(settings?.requestTopic)).toContain('backend');
    expect(subscriptions(settings?.replyTopic)).toContain(settings?.replySubscription);
    expect(topology.queues?.map((q) => q.name)).toContain(settings?.rejectedQueue);
  });
});
