// The Service Bus topology of both sides in one shape, to compare them entity by entity:
// servicebus-emulator.json (the official emulator's Config.json, PascalCase) and the queues and
// topics infra/app/servicebus.bicep declares (ARM's camelCase). Each entity is a path
// (queues/q, topics/t, topics/t/subscriptions/s, topics/t/subscriptions/s/rules/r) and its
// properties in ARM's names; an empty string (the emulator's "no forwarding") counts as absent.
import { isDeepStrictEqual } from 'node:util';
import { BicepExpression, type BicepValue } from './bicep-source.js';

export type Topology = Map<string, Record<string, unknown>>;

type Json = Record<string, unknown>;

function camel(key: string): string {
  return key.charAt(0).toLowerCase() + key.slice(1);
}

// Property bags, recursively camelCased, empties dropped.
function canonical(value: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries((value ?? {}) as Json)) {
    if (item === '' || item === undefined || item === null) continue;
    out[camel(key)] = typeof item === 'object' && !Array.isArray(item) ? canonical(item) : item;
  }
  return out;
}

// The emulator's rule: FilterType Correlation | Sql with CorrelationFilter | SqlFilter; ARM's:
// filterType CorrelationFilter | SqlFilter with correlationFilter | sqlFilter.
function emulatorRule(properties: unknown): Record<string, unknown> {
  const rule = canonical(properties);
  const type = rule.filterType;
  if (type === 'Correlation' || type === 'Sql') rule.filterType = `${type}Filter`;
  // A correlation filter's user properties are values to match, not names to camelCase.
  const filter = ((properties ?? {}) as Json).CorrelationFilter as Json | undefined;
  if (filter?.Properties !== undefined && typeof rule.correlationFilter === 'object') {
    (rule.correlationFilter as Json).properties = filter.Properties;
  }
  return rule;
}

function list(value: unknown, what: string): Json[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new Error(`${what} is not a list`);
  return value as Json[];
}

export function emulatorTopology(json: unknown): Topology {
  const namespaces = list(((json as Json).UserConfig as Json | undefined)?.Namespaces, 'UserConfig.Namespaces');
  if (namespaces.length !== 1) throw new Error(`servicebus-emulator.json: expected one namespace, got ${namespaces.length}`);
  const ns = namespaces[0] ?? {};
  const topology: Topology = new Map();
  for (const queue of list(ns.Queues, 'Queues')) topology.set(`queues/${String(queue.Name)}`, canonical(queue.Properties));
  for (const topic of list(ns.Topics, 'Topics')) {
    const topicPath = `topics/${String(topic.Name)}`;
    topology.set(topicPath, canonical(topic.Properties));
    for (const sub of list(topic.Subscriptions, `${topicPath} Subscriptions`)) {
      const subPath = `${topicPath}/subscriptions/${String(sub.Name)}`;
      topology.set(subPath, canonical(sub.Properties));
      for (const rule of list(sub.Rules, `${subPath} Rules`))
        topology.set(`${subPath}/rules/${String(rule.Name)}`, emulatorRule(rule.Properties));
    }
  }
  return topology;
}

function plain(value: BicepValue, where: string): unknown {
  if (value instanceof BicepExpression) throw new Error(`${where}: ${value.text} is computed; the topology must be literal`);
  if (Array.isArray(value)) return value.map((v, i) => plain(v, `${where}[${i}]`));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v, `${where}.${k}`)]));
  }
  return value;
}

/** From servicebus.bicep's `var queues` and `var topics` literals. */
export function bicepTopology(queues: BicepValue, topics: BicepValue): Topology {
  const topology: Topology = new Map();
  for (const queue of list(plain(queues, 'queues'), 'queues')) topology.set(`queues/${String(queue.name)}`, canonical(queue.properties));
  for (const topic of list(plain(topics, 'topics'), 'topics')) {
    const topicPath = `topics/${String(topic.name)}`;
    topology.set(topicPath, canonical(topic.properties));
    for (const sub of list(topic.subscriptions, `${topicPath}.subscriptions`)) {
      const subPath = `${topicPath}/subscriptions/${String(sub.name)}`;
      topology.set(subPath, canonical(sub.properties));
      for (const rule of list(sub.rules, `${subPath}.rules`)) {
        const properties = canonical(rule.properties);
        const filter = ((rule.properties ?? {}) as Json).correlationFilter as Json | undefined;
        if (filter?.properties !== undefined && typeof properties.correlationFilter === 'object') {
          (properties.correlationFilter as Json).properties = filter.properties;
        }
        topology.set(`${subPath}/rules/${String(rule.name)}`, properties);
      }
    }
  }
  return topology;
}

/** Every difference, each naming the entity (and the property) and both sides' values. */
export function topologyDifferences(emulator: Topology, bicep: Topology): string[] {
  const problems: string[] = [];
  for (const [path, properties] of emulator) {
    const other = bicep.get(path);
    if (other === undefined) {
      problems.push(`${path}: in servicebus-emulator.json, missing from infra/app/servicebus.bicep`);
      continue;
    }
    for (const key of new Set([...Object.keys(properties), ...Object.keys(other)])) {
      if (!isDeepStrictEqual(properties[key], other[key])) {
        problems.push(
          `${path} ${key}: servicebus-emulator.json ${JSON.stringify(properties[key])}, servicebus.bicep ${JSON.stringify(other[key])}`,
        );
      }
    }
  }
  for (const path of bicep.keys()) {
    if (!emulator.has(path)) problems.push(`${path}: in infra/app/servicebus.bicep, missing from servicebus-emulator.json`);
  }
  // ARM gives each subscription a match-all $Default rule; filters only filter if one of them replaces it.
  const withRules = new Set([...bicep.keys()].filter((p) => p.includes('/rules/')).map((p) => p.slice(0, p.indexOf('/rules/'))));
  for (const sub of withRules) {
    if (!bicep.has(`${sub}/rules/$Default`))
      problems.push(`${sub}: has rules but none named $Default, so Azure keeps its match-all default rule beside them`);
  }
  return problems;
}
