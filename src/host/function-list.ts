import type { RunningHost } from './host.js';
import { describeKeys } from './http/front-setup.js';
import { blobTriggerSource } from './triggers/blob-trigger.js';

/**
 * The start banner, as Core Tools prints it: HTTP functions with methods and URLs, the rest with
 * their trigger. When keys are enforced, the URLs carry the key they need, as the portal's "Get
 * function URL" does, and the keys are listed with where they are kept. Then what the loaded app
 * uses that this host does not run or apply (functions refused for a binding, host.json settings
 * not applied), so nothing is silently ignored.
 */
export function describeFunctions(
  host: Pick<RunningHost, 'functions' | 'routes' | 'url'> & Partial<Pick<RunningHost, 'keys' | 'keysWhy' | 'notSupported'>>,
): string {
  const lines = ['', 'Functions:', ''];
  for (const fn of host.functions) {
    const route = host.routes.find((r) => r.fn === fn);
    if (route) lines.push(`\t${fn.name}: [${route.methods.join(',')}] ${host.url}${route.path}${codeFor(host, route.auth.level)}`);
    else lines.push(`\t${fn.name}: ${fn.trigger.type}${sourceNote(fn)}`);
    lines.push('');
  }
  if (host.keys) lines.push(describeKeys(host.keys, host.keysWhy ?? ''), '');
  if (host.notSupported?.length) {
    lines.push('Not supported by the local host (see docs/local-host.md):', '');
    for (const line of host.notSupported) lines.push(`\t${line}`);
    lines.push('');
  }
  return lines.join('\n');
}

/** A blob trigger says which source it was registered with, and how this host serves EventGrid. */
function sourceNote(fn: RunningHost['functions'][number]): string {
  if (fn.trigger.type !== 'blobTrigger') return '';
  return blobTriggerSource(fn) === 'EventGrid'
    ? " (source EventGrid: delivered by this host's own container scan in Event Grid's place)"
    : '';
}

function codeFor(host: Partial<Pick<RunningHost, 'keys'>>, level: string): string {
  if (!host.keys || level === 'anonymous') return '';
  const key = level === 'admin' ? host.keys.master : Object.values(host.keys.functionKeys)[0];
  return key ? `?code=${encodeURIComponent(key)}` : '';
}
