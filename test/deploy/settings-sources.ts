// The four places an app setting is written down, each read into names (and values where the
// place gives one): what src/gateway/config.ts reads, local.settings.sample.json, the README's
// settings tables, and the app settings infra/ gives the Function App.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parseConfig } from '../../src/gateway/config.js';
import { BicepExpression, type BicepValue, isObject, readBicep, varValue } from './bicep-source.js';

export const ROOT = join(__dirname, '..', '..');

export function readRepoFile(path: string): string {
  return readFileSync(join(ROOT, path), 'utf8');
}

export interface ConfigSettings {
  /** Settings with a default, parsed by config.ts's helpers (GATEWAY_*). */
  readonly gateway: string[];
  /** Connections (AzureWebJobsStorage, ServiceBusConnection): read as they are, no default. */
  readonly connections: string[];
}

// TS source without comments, strings kept (a '//' inside a string stays).
function stripTsComments(source: string): string {
  return source.replace(
    /('(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"|`(?:\\.|[^`\\])*`)|\/\/[^\n]*|\/\*[\s\S]*?\*\//g,
    (all, str: string | undefined) => str ?? '',
  );
}

/**
 * Every setting config.ts reads, as it declares them: a quoted 'GATEWAY_…' literal (the
 * helpers take the name as their second argument), `env.Name`, `env['Name']`, `env[CONST]` and
 * a connection's resolver `storageConnection(env, CONST)` with CONST a string constant of the module. An ALL_CAPS constant the test cannot resolve fails
 * loudly rather than leaving a setting out.
 */
export function settingsReadBy(source: string): ConfigSettings {
  const code = stripTsComments(source);
  const constants = new Map([...code.matchAll(/\bconst\s+([A-Z][A-Z0-9_]*)\s*=\s*'([^']*)'/g)].map((m) => [m[1] ?? '', m[2] ?? '']));
  const gateway = new Set([...code.matchAll(/(['"])(GATEWAY_[A-Z0-9_]+)\1/g)].map((m) => m[2] ?? ''));
  const read = new Set<string>();
  // env.Name, env['Name'], env[CONST], and a connection read through its resolver: xxxConnection(env, CONST).
  const reads = /\benv\.([A-Za-z_]\w*)|\b(?:env\[|[a-z]\w*Connection\(\s*env\s*,)\s*(?:(['"])([^'"]+)\2|([A-Za-z_]\w*))\s*[\]),]/g;
  for (const m of code.matchAll(reads)) {
    const name = m[1] ?? m[3] ?? (m[4] !== undefined ? constants.get(m[4]) : undefined);
    if (name !== undefined) read.add(name);
    else if (m[4] !== undefined && /^[A-Z][A-Z0-9_]*$/.test(m[4])) {
      throw new Error(`config.ts reads env[${m[4]}] and the drift test cannot resolve ${m[4]} to a setting name`);
    }
  }
  const connections = [...read].filter((name) => !name.startsWith('GATEWAY_') && !name.includes('__'));
  for (const name of read) if (name.startsWith('GATEWAY_')) gateway.add(name);
  return { gateway: [...gateway].sort(), connections: connections.sort() };
}

// Connections parseConfig needs to run at all; their values are never used to connect.
const PROBE_ENV = {
  AzureWebJobsStorage: 'UseDevelopmentStorage=true',
  ServiceBusConnection: 'Endpoint=sb://localhost;SharedAccessKeyName=probe;SharedAccessKey=probe;UseDevelopmentEmulator=true;',
};

function flatten(value: unknown, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      for (const [k, v] of flatten(item, prefix ? `${prefix}.${key}` : key)) out.set(k, v);
    }
  } else out.set(prefix, value);
  return out;
}

/**
 * Whether `value` is config.ts's default for `setting`, asked of config.ts itself: the default
 * is the value that changes nothing parseConfig returns. Undefined when it is; otherwise why not
 * (the fields it changed, which show the default, or the error it raised).
 */
export function notTheDefault(setting: string, value: string): string | undefined {
  const baseline = parseConfig(PROBE_ENV);
  let changed;
  try {
    changed = parseConfig({ ...PROBE_ENV, [setting]: value });
  } catch (error) {
    return `config.ts refuses it: ${error instanceof Error ? error.message : String(error)}`;
  }
  if (isDeepStrictEqual(baseline, changed)) return undefined;
  const before = flatten(baseline);
  const after = flatten(changed);
  const diffs = [...after]
    .filter(([k, v]) => !isDeepStrictEqual(before.get(k), v))
    .map(([k, v]) => `${k}: ${String(before.get(k))} → ${String(v)}`);
  return `config.ts's default differs (${diffs.join(', ')})`;
}

export interface SampleSettings {
  readonly values: Record<string, string>;
  readonly help: Record<string, string>;
}

export function readSample(text: string): SampleSettings {
  const json = JSON.parse(text) as { Values?: Record<string, string>; SettingsHelp?: Record<string, string> };
  return { values: json.Values ?? {}, help: json.SettingsHelp ?? {} };
}

export interface ReadmeRow {
  readonly setting: string;
  readonly default: string;
  readonly meaning: string;
}

function cells(line: string): string[] {
  return line
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());
}

/**
 * Rows of every Markdown table whose header has `setting` and `default` columns. The name loses
 * its backticks; a default that is a number written with separators (1 048 576, 1,048,576,
 * 1_048_576) becomes its digits, other defaults lose their backticks.
 */
export function readReadmeSettings(markdown: string): ReadmeRow[] {
  const rows: ReadmeRow[] = [];
  const lines = markdown.split(/\r?\n/);
  for (let i = 0; i + 1 < lines.length; i++) {
    const header = cells(lines[i] ?? '').map((c) => c.toLowerCase());
    const settingColumn = header.indexOf('setting');
    const defaultColumn = header.indexOf('default');
    if (!(lines[i] ?? '').trim().startsWith('|') || settingColumn < 0 || defaultColumn < 0) continue;
    if (!/^\s*\|?\s*:?-+/.test(lines[i + 1] ?? '')) continue;
    const meaningColumn = header.indexOf('meaning');
    for (i += 2; i < lines.length && (lines[i] ?? '').trim().startsWith('|'); i++) {
      const row = cells(lines[i] ?? '');
      const unticked = (text: string) => text.replace(/`/g, '').trim();
      const rawDefault = unticked(row[defaultColumn] ?? '');
      const digits = rawDefault.replace(/[\s,_\u00a0\u202f]/g, '');
      rows.push({
        setting: unticked(row[settingColumn] ?? ''),
        default: /^\d+$/.test(digits) ? digits : rawDefault,
        meaning: meaningColumn < 0 ? '' : (row[meaningColumn] ?? ''),
      });
    }
  }
  return rows;
}

export interface BicepSettings {
  /** main.bicep's gatewaySettingDefaults: setting → its literal value, or the expression. */
  readonly gatewayDefaults: Record<string, BicepValue>;
  /** Keys of function-app.bicep's connectionSettings and schedulerSettings. */
  readonly connectionSettings: Record<string, BicepValue>;
  /** Overrides main.parameters.json passes to gatewaySettingOverrides. */
  readonly parameterOverrides: Record<string, unknown>;
}

export function readBicepSettings(): BicepSettings {
  const main = readBicep(readRepoFile('infra/main.bicep'));
  const app = readBicep(readRepoFile('infra/app/function-app.bicep'));
  const defaults = varValue(main, 'gatewaySettingDefaults');
  const connections = varValue(app, 'connectionSettings');
  if (!isObject(defaults)) throw new Error('infra/main.bicep: gatewaySettingDefaults is not an object literal');
  if (!isObject(connections)) throw new Error('infra/app/function-app.bicep: connectionSettings is not an object literal');
  const parameters = JSON.parse(readRepoFile('infra/main.parameters.json')) as { parameters: Record<string, { value?: unknown }> };
  const overrides = parameters.parameters.gatewaySettingOverrides?.value;
  return {
    gatewayDefaults: defaults,
    connectionSettings: connections,
    parameterOverrides: typeof overrides === 'object' && overrides !== null ? (overrides as Record<string, unknown>) : {},
  };
}

export function describeValue(value: BicepValue): string {
  return value instanceof BicepExpression ? `the expression ${value.text}` : JSON.stringify(value);
}
