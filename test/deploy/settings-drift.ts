// Finds where the app settings drift: each setting src/gateway/config.ts reads, looked for in
// local.settings.sample.json (value, help), the README's settings tables (row, default, meaning)
// and infra/ (main.bicep's gatewaySettingDefaults, function-app.bicep's identity-based
// connections). Every finding names the place, the setting and what is wrong with it.
import {
  type ConfigSettings,
  describeValue,
  notTheDefault,
  readBicepSettings,
  readReadmeSettings,
  readRepoFile,
  readSample,
} from './settings-sources.js';

export type Place = 'local.settings.sample.json' | 'README.md' | 'infra/main.bicep' | 'infra/app/function-app.bicep';
export type Problem = 'missing' | 'default' | 'meaning' | 'unknown';

export interface Drift {
  readonly place: Place;
  readonly setting: string;
  readonly problem: Problem;
  readonly detail: string;
}

// How a table says a connection has no default.
const CONNECTION_HAS_NO_DEFAULT = /^(none|required|unset|—|-)(\b|\s|$)/i;

export function findDrift(config: ConfigSettings): Drift[] {
  const drift: Drift[] = [];
  const known = new Set([...config.gateway, ...config.connections]);
  const add = (place: Place, setting: string, problem: Problem, detail: string) => drift.push({ place, setting, problem, detail });

  const sample = readSample(readRepoFile('local.settings.sample.json'));
  for (const setting of config.gateway) {
    const value = sample.values[setting];
    if (value === undefined) add('local.settings.sample.json', setting, 'missing', 'not in Values');
    else {
      const why = notTheDefault(setting, value);
      if (why !== undefined) add('local.settings.sample.json', setting, 'default', `Values has "${value}": ${why}`);
    }
  }
  for (const setting of config.connections) {
    if (sample.values[setting] === undefined) add('local.settings.sample.json', setting, 'missing', 'not in Values');
  }
  for (const setting of known) {
    if (!sample.help[setting]?.trim()) add('local.settings.sample.json', setting, 'meaning', 'no SettingsHelp entry');
  }
  for (const setting of Object.keys(sample.values)) {
    if (setting.startsWith('GATEWAY_') && !known.has(setting))
      add('local.settings.sample.json', setting, 'unknown', 'in Values, but config.ts does not read it');
  }

  const rows = readReadmeSettings(readRepoFile('README.md'));
  for (const setting of known) {
    const row = rows.find((r) => r.setting === setting);
    if (row === undefined) {
      add('README.md', setting, 'missing', 'no row in a settings table');
      continue;
    }
    if (!row.meaning.trim()) add('README.md', setting, 'meaning', 'its row has no meaning');
    if (config.gateway.includes(setting)) {
      // "unset (…)" in the table is the empty value: the setting left out.
      const why = notTheDefault(setting, /^unset\b/i.test(row.default) ? '' : row.default);
      if (why !== undefined) add('README.md', setting, 'default', `the table says "${row.default}": ${why}`);
    } else if (!CONNECTION_HAS_NO_DEFAULT.test(row.default)) {
      // config.ts gives a connection no default: it is required, or leaving it unset turns a feature off.
      add(
        'README.md',
        setting,
        'default',
        `the table says "${row.default}", but config.ts has no default for a connection (write "none (required)" or "unset (…)")`,
      );
    }
  }
  for (const row of rows) {
    if (!known.has(row.setting)) add('README.md', row.setting, 'unknown', 'in a settings table, but config.ts does not read it');
  }

  const bicep = readBicepSettings();
  for (const setting of config.gateway) {
    const value = bicep.gatewayDefaults[setting];
    if (value === undefined) add('infra/main.bicep', setting, 'missing', 'not in gatewaySettingDefaults');
    else if (typeof value !== 'string')
      add('infra/main.bicep', setting, 'default', `${describeValue(value)}: app settings are strings, write the default as one`);
    else {
      const why = notTheDefault(setting, value);
      if (why !== undefined) add('infra/main.bicep', setting, 'default', `gatewaySettingDefaults has '${value}': ${why}`);
    }
  }
  for (const setting of [...Object.keys(bicep.gatewayDefaults), ...Object.keys(bicep.parameterOverrides)]) {
    if (!known.has(setting)) add('infra/main.bicep', setting, 'unknown', 'set for the app, but config.ts does not read it');
  }
  // Connections in their identity-based form only: the account or namespace, the credential, the identity.
  for (const setting of config.connections) {
    const form = bicep.connectionSettings;
    const where = 'infra/app/function-app.bicep';
    if (form[setting] !== undefined)
      add(where, setting, 'unknown', 'set as a connection string; use the identity-based <name>__* settings');
    const endpoint = ['accountName', 'blobServiceUri', 'fullyQualifiedNamespace'].find((k) => form[`${setting}__${k}`] !== undefined);
    if (endpoint === undefined) add(where, setting, 'missing', `no ${setting}__accountName, __blobServiceUri or __fullyQualifiedNamespace`);
    if (form[`${setting}__credential`] !== 'managedidentity')
      add(where, setting, 'missing', `${setting}__credential is not 'managedidentity'`);
    if (form[`${setting}__clientId`] === undefined) add(where, setting, 'missing', `no ${setting}__clientId (the user-assigned identity)`);
  }
  return drift;
}
