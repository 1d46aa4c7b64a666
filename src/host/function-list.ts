import type { RunningHost } from './host.js';

/** The function list Core Tools prints at start: HTTP functions with methods and URLs, the rest with their trigger. */
export function describeFunctions(host: Pick<RunningHost, 'functions' | 'routes' | 'url'>): string {
  const lines = ['', 'Functions:', ''];
  for (const fn of host.functions) {
    const route = host.routes.find((r) => r.fn === fn);
    if (route) lines.push(`\t${fn.name}: [${route.methods.join(',')}] ${host.url}${route.path}`);
    else lines.push(`\t${fn.name}: ${fn.trigger.type}`);
    lines.push('');
  }
  return lines.join('\n');
}
