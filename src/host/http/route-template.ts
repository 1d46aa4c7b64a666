/**
 * Azure Functions (ASP.NET) route templates: literal segments (case-insensitive), `{name}`,
 * optional `{name?}`, catch-all `{*rest}`, and ASP.NET's inline constraints, chained as there
 * (`{id:int:min(1)}`; see route-constraints.ts). `{{` and `}}` escape braces inside a constraint.
 */
import { compileConstraint, splitConstraints } from './route-constraints.js';

export interface CompiledRoute {
  template: string;
  match(path: string): Record<string, string> | undefined;
  /** Literal segments count for more: `items/new` beats `items/{id}`. */
  specificity: number;
}

type Segment =
  | { kind: 'literal'; text: string }
  | { kind: 'param'; name: string; optional: boolean; catchAll: boolean; test: (v: string) => boolean };

export function compileRoute(template: string): CompiledRoute {
  const segments = template
    .replace(/^\/+|\/+$/g, '')
    .split('/')
    .filter(Boolean)
    .map(parseSegment);
  const specificity = segments.reduce((n, s) => n + (s.kind === 'literal' ? 2 : s.kind === 'param' && !s.catchAll ? 1 : 0), 0);
  return {
    template,
    specificity,
    match: (path) => matchSegments(segments, path.split('/').filter(Boolean)),
  };
}

function parseSegment(text: string): Segment {
  if (!text.startsWith('{') || !text.endsWith('}')) {
    if (text.includes('{')) throw new Error(`Route segment "${text}" is not supported: use a whole segment like {name}.`);
    return { kind: 'literal', text: text.toLowerCase() };
  }
  let body = text.slice(1, -1).replace(/\{\{/g, '{').replace(/\}\}/g, '}');
  const catchAll = /^\*{1,2}/.exec(body);
  if (catchAll) body = body.slice(catchAll[0].length);
  const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(body)?.[0];
  if (!name) throw new Error(`Route segment "${text}" has no parameter name.`);
  let rest = body.slice(name.length);
  // A trailing `?` makes the parameter optional (a constraint's own text always ends in `)` or a letter).
  const optional = rest.endsWith('?');
  if (optional) rest = rest.slice(0, -1);
  if (rest && !rest.startsWith(':'))
    throw new Error(`Route segment "${text}" is not supported: expected {name}, {name?} or {name:constraint}.`);
  const tests = splitConstraints(rest.slice(1)).map(compileConstraint);
  return { kind: 'param', name, catchAll: !!catchAll, optional: optional || !!catchAll, test: (v) => tests.every((t) => t(v)) };
}

function matchSegments(segments: Segment[], parts: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  let i = 0;
  for (const seg of segments) {
    if (seg.kind === 'literal') {
      if (parts[i]?.toLowerCase() !== seg.text) return undefined;
      i++;
      continue;
    }
    if (seg.catchAll) {
      const rest = parts.slice(i).map(safeDecode).join('/');
      if (rest) params[seg.name] = rest;
      return params;
    }
    const part = parts[i];
    if (part === undefined) {
      if (!seg.optional) return undefined;
      continue;
    }
    const value = safeDecode(part);
    if (!seg.test(value)) return undefined;
    params[seg.name] = value;
    i++;
  }
  return i === parts.length ? params : undefined;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
