import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  parseEmulatorConfig,
  startServiceBusEmulator,
  TopologyConfigError,
  validateTopology,
} from '../../../src/emulators/servicebus/index.js';
import { parseIsoDuration } from '../../../src/emulators/servicebus/iso-duration.js';
import { bodyOf, type EmulatorWithClient, receiveExactly, startEmulatorWithClient } from './support.js';

/** Shaped like the official emulator's Config.json (every field of its schema appears once). */
function officialStyleConfig(): Record<string, unknown> {
  return {
    UserConfig: {
      Namespaces: [
        {
          Name: 'sbemulatorns',
          Queues: [
            {
              Name: 'queue.1',
              Properties: {
                DeadLetteringOnMessageExpiration: false,
                DefaultMessageTimeToLive: 'PT1H',
                DuplicateDetectionHistoryTimeWindow: 'PT20S',
                ForwardDeadLetteredMessagesTo: '',
                ForwardTo: '',
                LockDuration: 'PT1M',
                MaxDeliveryCount: 3,
                RequiresDuplicateDetection: false,
                RequiresSession: false,
              },
            },
          ],
          Topics: [
            {
              Name: 'topic.1',
              Properties: {
                DefaultMessageTimeToLive: 'PT30M',
                DuplicateDetectionHistoryTimeWindow: 'PT20S',
                RequiresDuplicateDetection: false,
              },
              Subscriptions: [
                {
                  Name: 'subscription.1',
                  Properties: {
                    DeadLetteringOnMessageExpiration: false,
                    DefaultMessageTimeToLive: 'PT1H',
                    LockDuration: 'PT5S',
                    MaxDeliveryCount: 5,
                    ForwardDeadLetteredMessagesTo: '',
                    ForwardTo: '',
                    RequiresSession: false,
                  },
                  Rules: [
                    {
                      Name: 'app-prop-filter-1',
                      Properties: {
                        FilterType: 'Correlation',
                        CorrelationFilter: { ContentType: 'application/text', Label: 'greeting', Properties: { prop3: 'value3' } },
                      },
                    },
                  ],
                },
                {
                  Name: 'subscription.2',
                  Rules: [{ Name: 'all', Properties: { FilterType: 'Sql', SqlFilter: { SqlExpression: '1 = 1' } } }],
                },
              ],
            },
          ],
        },
      ],
      Logging: { Type: 'File' },
    },
  };
}

/** Sets a field by a dotted path (array indexes as numbers) to break one thing in a valid config. */
function setField(root: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  const last = keys.pop() ?? '';
  let node = root;
  for (const key of keys) node = node[key] as Record<string, unknown>;
  node[last] = value;
}

function configError(action: () => unknown): TopologyConfigError {
  try {
    action();
  } catch (error) {
    if (error instanceof TopologyConfigError) return error;
    throw error;
  }
  throw new Error('expected a TopologyConfigError');
}

describe('Config.json (official emulator shape)', () => {
  it('reads queues, topics, subscriptions, durations and correlation rules', () => {
    const topology = parseEmulatorConfig(officialStyleConfig());

    expect(topology.queues).toEqual([
      {
        name: 'queue.1',
        lockDurationMs: 60_000,
        maxDeliveryCount: 3,
        defaultMessageTimeToLiveMs: 3_600_000,
        deadLetteringOnMessageExpiration: false,
      },
    ]);
    const [first, second] = topology.topics?.[0]?.subscriptions ?? [];
    expect(first).toMatchObject({
      name: 'subscription.1',
      lockDurationMs: 5_000,
      maxDeliveryCount: 5,
      // The topic's shorter time to live wins.
      defaultMessageTimeToLiveMs: 1_800_000,
      filters: [{ contentType: 'application/text', subject: 'greeting', applicationProperties: { prop3: 'value3' } }],
    });
    expect(second?.filters).toEqual([{}]);
  });

  it.each([
    [
      'an unknown property',
      'Queues.0.Properties.LockDurration',
      'PT1M',
      'UserConfig.Namespaces[0].Queues[0].Properties.LockDurration: unknown field',
    ],
    [
      'a malformed duration',
      'Queues.0.Properties.LockDuration',
      '1 minute',
      "Queues[0].Properties.LockDuration: '1 minute' is not an ISO 8601 duration",
    ],
    [
      'a delivery count below 1',
      'Queues.0.Properties.MaxDeliveryCount',
      0,
      'Queues[0].Properties.MaxDeliveryCount: expected an integer of at least 1',
    ],
    [
      'sessions',
      'Topics.0.Subscriptions.0.Properties.RequiresSession',
      true,
      'Subscriptions[0].Properties.RequiresSession: true is not supported',
    ],
    ['auto-forwarding', 'Queues.0.Properties.ForwardTo', 'other', 'Queues[0].Properties.ForwardTo: auto-forwarding is not supported'],
    [
      'a SQL filter',
      'Topics.0.Subscriptions.1.Rules.0.Properties.SqlFilter.SqlExpression',
      "sys.Label = 'x'",
      'SqlFilter.SqlExpression: SQL filters other than',
    ],
    ['an invalid entity name', 'Queues.0.Name', 'bad name!', "Queues[0].Name: 'bad name!' is not a valid entity name"],
  ])('refuses %s and names the field', (_case, path, value, message) => {
    const config = officialStyleConfig();
    setField(config, `UserConfig.Namespaces.0.${path}`, value);
    expect(configError(() => parseEmulatorConfig(config)).message).toContain(message);
  });

  it('refuses a config without UserConfig or with more than one namespace', () => {
    const twoNamespaces = officialStyleConfig();
    setField(twoNamespaces, 'UserConfig.Namespaces.1', { Name: 'other', Queues: [], Topics: [] });
    expect(configError(() => parseEmulatorConfig(twoNamespaces)).message).toBe(
      'UserConfig.Namespaces: expected exactly one namespace, got 2',
    );
    expect(configError(() => parseEmulatorConfig({ Namespaces: [] })).message).toBe(
      'Config.json.Namespaces: unknown field (known: UserConfig)',
    );
    expect(configError(() => parseEmulatorConfig({})).message).toBe('UserConfig: expected an object, got undefined');
  });

  it('reports an unreadable file by its path', async () => {
    await expect(startServiceBusEmulator({ port: 0, topology: '/no/such/Config.json' })).rejects.toThrow(
      /^\/no\/such\/Config\.json: cannot read the config file/,
    );
  });
});

describe('topology given in code', () => {
  it('is checked as strictly as a file, naming the field', () => {
    expect(configError(() => validateTopology({ queues: [{ name: 'a', lockDuration: 5 }] })).field).toBe('topology.queues[0].lockDuration');
    expect(configError(() => validateTopology({ queues: [{ name: 'a', maxDeliveryCount: 0 }] })).field).toBe(
      'topology.queues[0].maxDeliveryCount',
    );
    expect(
      configError(() => validateTopology({ queues: [{ name: 'Jobs' }], topics: [{ name: 'jobs', subscriptions: [] }] })).message,
    ).toContain("the name 'jobs' is used twice");
  });

  it('parses ISO 8601 durations of weeks, days, hours, minutes and (fractional) seconds', () => {
    expect(parseIsoDuration('PT1M', 'x')).toBe(60_000);
    expect(parseIsoDuration('PT0.5S', 'x')).toBe(500);
    expect(parseIsoDuration('P1DT1H30M', 'x')).toBe(91_800_000);
    for (const bad of ['P1M', 'PT', 'P', 'PT0S', '60']) expect(() => parseIsoDuration(bad, 'x')).toThrow(TopologyConfigError);
  });
});

describe('an emulator started from a Config.json file', () => {
  let directory: string;
  let sb: EmulatorWithClient;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'sb-emulator-'));
    const path = join(directory, 'Config.json');
    await writeFile(path, JSON.stringify(officialStyleConfig()));
    sb = await startEmulatorWithClient(path);
  });
  afterAll(async () => {
    await sb?.stop();
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it('serves the configured entities and applies the subscription rules', async () => {
    const sender = sb.client.createSender('topic.1');
    await sender.sendMessages([
      { body: 'match', contentType: 'application/text', subject: 'greeting', applicationProperties: { prop3: 'value3' } },
      { body: 'other', contentType: 'application/text', subject: 'greeting', applicationProperties: { prop3: 'nope' } },
    ]);
    const filtered = sb.client.createReceiver('topic.1', 'subscription.1', { receiveMode: 'receiveAndDelete' });
    const all = sb.client.createReceiver('topic.1', 'subscription.2', { receiveMode: 'receiveAndDelete' });

    expect((await receiveExactly(all, 2)).map(bodyOf)).toEqual(['match', 'other']);
    expect((await receiveExactly(filtered, 1)).map(bodyOf)).toEqual(['match']);
    expect(await filtered.receiveMessages(1, { maxWaitTimeInMs: 300 })).toEqual([]);
  });

  it('takes entities added while running', async () => {
    sb.emulator.addQueue({ name: 'added-later' });
    sb.emulator.addSubscription('topic.1', { name: 'late-subscriber' });
    await sb.client.createSender('added-later').sendMessages({ body: 'queue' });
    await sb.client.createSender('topic.1').sendMessages({ body: 'topic' });

    const queue = sb.client.createReceiver('added-later', { receiveMode: 'receiveAndDelete' });
    const late = sb.client.createReceiver('topic.1', 'late-subscriber', { receiveMode: 'receiveAndDelete' });
    expect((await receiveExactly(queue, 1)).map(bodyOf)).toEqual(['queue']);
    expect((await receiveExactly(late, 1)).map(bodyOf)).toEqual(['topic']);
    expect(() => sb.emulator.addQueue({ name: 'QUEUE.1' })).toThrow(/already exists/);
  });
});
