// One source of truth for settings: every app setting src/gateway/config.ts reads must appear,
// with config.ts's default and a meaning, in local.settings.sample.json, the README's settings
// tables and the Function App's settings in infra/; and the Service Bus entities of
// servicebus-emulator.json and infra/app/servicebus.bicep must be the same set. Formatting is
// free (order, spacing, backticks, digit separators); names and values are not.
//
// Defaults are asked of config.ts itself: a value is the default when setting it changes nothing
// parseConfig returns, so the test follows config.ts however it computes a default.
import { describe, expect, it } from 'vitest';
import { readBicep, varValue } from './bicep-source.js';
import { bicepTopology, emulatorTopology, topologyDifferences } from './servicebus-topology.js';
import { type Drift, findDrift } from './settings-drift.js';
import { notTheDefault, readBicepSettings, readReadmeSettings, readRepoFile, settingsReadBy } from './settings-sources.js';

/**
 * Drift that lives in files this branch does not own (README.md, local.settings.sample.json,
 * src/gateway/config.ts). Each entry is checked to still drift, so fixing one makes this test
 * fail until its entry is removed: the list only shrinks, and ends empty.
 */
const DRIFT_THE_LEAD_FIXES: readonly Pick<Drift, 'place' | 'setting' | 'problem'>[] = [];

const key = (d: Pick<Drift, 'place' | 'setting' | 'problem'>) => `${d.place} · ${d.setting} · ${d.problem}`;

describe('app settings: config.ts, local.settings.sample.json, README.md and infra/ agree', () => {
  const config = settingsReadBy(readRepoFile('src/gateway/config.ts'));

  it('config.ts is read for its settings (the parse found the gateway settings and both connections)', () => {
    expect(config.gateway).toContain('GATEWAY_SYNC_WAIT_SECONDS');
    expect(config.gateway).toContain('GATEWAY_REQUEST_CHANNEL');
    expect(config.gateway).toContain('GATEWAY_REJECTED_REPLY_QUEUE');
    expect(config.connections).toEqual(expect.arrayContaining(['AzureWebJobsStorage', 'ServiceBusConnection']));
  });

  it('every setting is in every place with config.ts default and a meaning', () => {
    const listed = new Set(DRIFT_THE_LEAD_FIXES.map(key));
    const unexpected = findDrift(config).filter((d) => !listed.has(key(d)));
    expect(unexpected.map((d) => `${key(d)}: ${d.detail}`)).toEqual([]);
  });

  it('every entry of DRIFT_THE_LEAD_FIXES still drifts (remove the ones that are fixed)', () => {
    const found = new Set(findDrift(config).map(key));
    expect(DRIFT_THE_LEAD_FIXES.map(key).filter((k) => !found.has(k))).toEqual([]);
  });

  it('main.parameters.json overrides gateway settings only with values config.ts accepts', () => {
    const overrides = Object.entries(readBicepSettings().parameterOverrides);
    expect(overrides.length).toBeGreaterThan(0);
    for (const [setting, value] of overrides) {
      expect(config.gateway, setting).toContain(setting);
      // azd fills ${NAME=fallback} from the environment, else the fallback.
      const fallback = /^\$\{[A-Z_][A-Z0-9_]*=([^}]*)\}$/.exec(String(value))?.[1] ?? String(value);
      expect(notTheDefault(setting, fallback) ?? '', `${setting}=${fallback}`).not.toMatch(/refuses/);
    }
  });

  it('the default probe tells a default from another value, in both directions', () => {
    expect(notTheDefault('GATEWAY_SYNC_WAIT_SECONDS', '30')).toBeUndefined();
    expect(notTheDefault('GATEWAY_SYNC_WAIT_SECONDS', '31')).toMatch(/syncWaitSeconds: 30 → 31/);
    expect(notTheDefault('GATEWAY_REQUEST_CHANNEL', 'carrier-pigeon')).toMatch(/refuses it.*GATEWAY_REQUEST_CHANNEL/);
  });

  it('finds a setting config.ts reads in each way it declares one', () => {
    const parsed = settingsReadBy(`
      const NAMED = 'FromConstant';
      // integer(env, 'GATEWAY_IN_A_COMMENT', 1, 0, 2)
      const a = integer(env, 'GATEWAY_VIA_HELPER', 5, 0, 9);
      const b = env.DirectlyRead?.trim();
      const c = env['Quoted'];
      const d = env[NAMED];
      const e = env[\`\${NAMED}__fullyQualifiedNamespace\`];
      const f = storageConnection(env, 'ViaResolver');
    `);
    expect(parsed).toEqual({ gateway: ['GATEWAY_VIA_HELPER'], connections: ['DirectlyRead', 'FromConstant', 'Quoted', 'ViaResolver'] });
    expect(() => settingsReadBy('const x = env[IMPORTED_NAME];')).toThrow(/IMPORTED_NAME/);
  });

  it('README tables are read whatever their formatting, numbers with separators included', () => {
    const rows = readReadmeSettings(
      [
        '| Setting | Default | Meaning |',
        '|:--|--:|---|',
        '| `GATEWAY_MAX_BODY_BYTES` | 1 048 576 | largest body |',
        '|`GATEWAY_REQUEST_CHANNEL`|`blob`||',
        '',
        '| call | answer |',
        '|---|---|',
        '| `GATEWAY_NOT_A_SETTING_TABLE` | x |',
      ].join('\n'),
    );
    expect(rows).toEqual([
      { setting: 'GATEWAY_MAX_BODY_BYTES', default: '1048576', meaning: 'largest body' },
      { setting: 'GATEWAY_REQUEST_CHANNEL', default: 'blob', meaning: '' },
    ]);
  });
});

describe('Service Bus topology: servicebus-emulator.json and infra/app/servicebus.bicep are the same set', () => {
  const servicebus = readBicep(readRepoFile('infra/app/servicebus.bicep'));
  const bicep = bicepTopology(varValue(servicebus, 'queues'), varValue(servicebus, 'topics'));
  const emulator = emulatorTopology(JSON.parse(readRepoFile('servicebus-emulator.json')));

  it('same queues, topics, subscriptions and rules, with the same properties', () => {
    expect(topologyDifferences(emulator, bicep)).toEqual([]);
    expect([...bicep.keys()]).toEqual(
      expect.arrayContaining(['queues/replies-rejected', 'topics/requests/subscriptions/backend', 'topics/replies/subscriptions/gateway']),
    );
  });

  it('the entities the gateway settings name by default are there', () => {
    const defaults = readBicepSettings().gatewayDefaults;
    const name = (setting: string) => {
      const value = defaults[setting];
      if (typeof value !== 'string') throw new Error(`${setting} has no literal default in infra/main.bicep`);
      return value;
    };
    expect(bicep.has(`topics/${name('GATEWAY_REQUEST_TOPIC')}`)).toBe(true);
    expect(bicep.has(`topics/${name('GATEWAY_REPLY_TOPIC')}/subscriptions/${name('GATEWAY_REPLY_SUBSCRIPTION')}`)).toBe(true);
    expect(bicep.has(`queues/${name('GATEWAY_REJECTED_REPLY_QUEUE')}`)).toBe(true);
  });

  it('the Bicep resources are made from those lists (one loop per entity type)', () => {
    for (const [symbol, list, type] of [
      ['queue', 'queues', 'Microsoft.ServiceBus/namespaces/queues@'],
      ['topic', 'topics', 'Microsoft.ServiceBus/namespaces/topics@'],
      ['subscription', 'subscriptions', 'Microsoft.ServiceBus/namespaces/topics/subscriptions@'],
      ['rule', 'rules', 'Microsoft.ServiceBus/namespaces/topics/subscriptions/rules@'],
    ] as const) {
      expect(servicebus.resources.get(symbol)).toMatch(new RegExp(`^${type.replace(/[./]/g, '\\$&')}\\d{4}-\\d{2}-\\d{2}$`));
      expect(servicebus.source).toMatch(
        new RegExp(`resource ${symbol} '[^']+' = \\[\\s*for item in ${list}:[\\s\\S]*?properties: item\\.properties`),
      );
    }
  });

  it('a difference in a rule, a property or a name is found and named', () => {
    const withRule = (filter: Record<string, unknown>) => ({
      UserConfig: {
        Namespaces: [
          {
            Topics: [
              {
                Name: 't',
                Subscriptions: [
                  { Name: 's', Rules: [{ Name: '$Default', Properties: { FilterType: 'Correlation', CorrelationFilter: filter } }] },
                ],
              },
            ],
            Queues: [{ Name: 'q', Properties: { MaxDeliveryCount: 10, ForwardTo: '' } }],
          },
        ],
      },
    });
    const source = readBicep(`var queues = [
  {
    name: 'q'
    properties: {
      maxDeliveryCount: 10
    }
  }
]
var topics = [
  {
    name: 't'
    subscriptions: [
      {
        name: 's'
        rules: [
          {
            name: '$Default'
            properties: {
              filterType: 'CorrelationFilter'
              correlationFilter: { label: 'quote', properties: { Tenant: 'a' } }
            }
          }
        ]
      }
    ]
  }
]`);
    const fromBicep = bicepTopology(varValue(source, 'queues'), varValue(source, 'topics'));
    expect(topologyDifferences(emulatorTopology(withRule({ Label: 'quote', Properties: { Tenant: 'a' } })), fromBicep)).toEqual([]);
    expect(topologyDifferences(emulatorTopology(withRule({ Label: 'quote', Properties: { Tenant: 'b' } })), fromBicep)).toEqual([
      'topics/t/subscriptions/s/rules/$Default correlationFilter: servicebus-emulator.json {"label":"quote","properties":{"Tenant":"b"}}, servicebus.bicep {"label":"quote","properties":{"Tenant":"a"}}',
    ]);
    const renamed = emulatorTopology(withRule({ Label: 'quote', Properties: { Tenant: 'a' } }));
    renamed.set('queues/q', { maxDeliveryCount: 5 });
    renamed.set('queues/other', {});
    expect(topologyDifferences(renamed, fromBicep)).toEqual([
      'queues/q maxDeliveryCount: servicebus-emulator.json 5, servicebus.bicep 10',
      'queues/other: in servicebus-emulator.json, missing from infra/app/servicebus.bicep',
    ]);
    const notDefault = new Map(fromBicep);
    notDefault.delete('topics/t/subscriptions/s/rules/$Default');
    notDefault.set('topics/t/subscriptions/s/rules/quotes', {});
    expect(topologyDifferences(notDefault, notDefault)).toEqual([
      'topics/t/subscriptions/s: has rules but none named $Default, so Azure keeps its match-all default rule beside them',
    ]);
  });
});
