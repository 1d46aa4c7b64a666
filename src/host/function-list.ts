import type { RunningHost } from './host.js';
import { describeKeys } from './http/front-setup.js';

/**
 * The function list Core Tools prints at start: HTTP functions with methods and URLs, the rest
 * with their trigger. When keys are enforced, the URLs carry the key they need, as the portal's
 * "Get function URL" does, and the keys are listed with where they are kept.
 */
export function describeFunctions(host: Pick<RunningHost, 'functions' | 'routes' | 'url'> & Partial<Pick<RunningHost, 'keys' | 'keysWhy'>>): string {
  const lines = ['', 'Functions:', ''];
  for (const fn of host.functions) {
    const route = host.routes.find((r) => r.fn === fn);
    if (route) lines.push(`\t${fn.name}: [${route.methods.join(',')}] ${host.url}${route.path}${codeFor(host, route.auth.level)}`);
    else lines.push(`\t${fn.name}: ${fn.trigger.type}`);
    lines.push('');
  }
  if (host.keys) lines.push(describeKeys(host.keys, host.keysWhy ?? ''), '');
  return lines.join('\n');
}

function codeFor(host: Partial<Pick<RunningHost, 'keys'>>, level: string): string {
  if (!host.keys || level === 'anonymous') return '';
  const key = level === 'admin' ? host.keys.master : Object.values(host.keys.functionKeys)[0];
  return key ? `?code=${encodeURIComponent(key)}` : '';
}
