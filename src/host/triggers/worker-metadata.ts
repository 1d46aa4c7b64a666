/**
 * `context.triggerMetadata` as the Node worker builds it from the host's binding data
 * (`fromRpcTriggerMetadata` in azure-functions-nodejs-library): each top-level key camel-cased by
 * its first letter, string values JSON-parsed when they parse (`tryJsonParse`: a message id
 * "123" arrives as the number 123, "true" as true), and objects camel-cased all the way down
 * (`toCamelCaseValue`: application property `Status` arrives as `status`). Null values carry no
 * data over RPC and are left out.
 */
export function toWorkerMetadata(hostBindingData: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(hostBindingData)) {
    if (value === undefined || value === null) continue;
    out[camelKey(key)] = typeof value === 'string' ? tryJsonParse(value) : camelValue(value);
  }
  return out;
}

export function camelKey(key: string): string {
  return key.charAt(0).toLowerCase() + key.slice(1);
}

function camelValue(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Buffer.isBuffer(value) || value instanceof Date) return value;
  if (Array.isArray(value)) return value.map(camelValue);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [camelKey(k), camelValue(v)]));
}

function tryJsonParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
