import type { RunningHost } from './host.js';

/**
 * The start banner, as Core Tools prints it: HTTP functions with methods and URLs, the rest with
 * their trigger; then what the loaded app uses that this host does not run or apply (functions
 * refused for a binding, host.json settings not applied), so nothing is silently ignored.
 */
export function describeFunctions(host: Pick<RunningHost, 'functions' | 'routes' | 'url' | 'notSupported'>): string {
  const lines = ['', 'Functions:', ''];
  for (const fn of host.functions) {
    const route = host.routes.find((r) => r.fn === fn);
    if (route) lines.push(`\t${fn.name}: [${route.methods.join(',')}] ${host.url}${route.path}`);
    else lines.push(`\t${fn.name}: ${fn.trigger.type}`);
    lines.push('');
  }
  if (host.notSupported.length) {
    lines.push('Not supported by the local host (see docs/local-host.md):', '');
    for (const line of host.notSupported) lines.push(`\t${line}`);
    lines.push('');
  }
  return lines.join('\n');
}
