import { randomUUID } from 'node:crypto';

/**
 * `{...}` binding expressions in an output binding's `path` / `queueName`, resolved at invocation
 * time as the WebJobs SDK's `BindingTemplate` does: trigger data by name (case-insensitive, so a
 * blob trigger's `{name}` feeds `out/{name}`), dotted paths into it, and the system values
 * `{rand-guid}`, `{sys.randguid}`, `{datetime}`, `{sys.utcnow}`. A name with no value fails the
 * invocation with the binding named, as the real host fails it, instead of writing somewhere odd.
 */
export function resolveBindingExpression(template: string, data: Record<string, unknown>, where: string, now = new Date()): string {
  return template.replace(/\{([^{}]+)\}/g, (_m, expr: string) => {
    const key = expr.trim();
    const lower = key.toLowerCase();
    if (lower === 'rand-guid' || lower === 'sys.randguid') return randomUUID();
    if (lower === 'datetime' || lower === 'sys.utcnow') return now.toISOString();
    const value = lookup(data, key.split('.'));
    if (value === undefined || value === null || typeof value === 'object') {
      throw new Error(`${where}: binding expression {${key}} has no value in this invocation's trigger data.`);
    }
    return typeof value === 'string' ? value : JSON.stringify(value);
  });
}

function lookup(data: unknown, path: string[]): unknown {
  let at: unknown = data;
  for (const part of path) {
    if (typeof at !== 'object' || at === null) return undefined;
    const lower = part.toLowerCase();
    const key = Object.keys(at).find((k) => k.toLowerCase() === lower);
    if (key === undefined) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}
