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

/** JSON text that starts as an object, array or string, or is a number, `true`, `false` or `null` (RFC 8259 grammar, its whitespace). */
const MAY_BE_JSON = /^[ \t\n\r]*(?:[{["]|(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)[ \t\n\r]*$)/;

function tryJsonParse(text: string): unknown {
  // Most values (ids, times, names) are not JSON: JSON.parse would throw, and a thrown error with
  // its stack cost ~20 µs a value, several per message. Text that cannot be JSON is kept as is.
  if (!MAY_BE_JSON.test(text)) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
