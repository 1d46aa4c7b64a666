/**
 * Azure Functions (ASP.NET) route templates: literal segments (case-insensitive), `{name}`,
 * optional `{name?}`, catch-all `{*rest}`, and the common inline constraints (`{id:int}`,
 * `{id:guid}`, `{name:alpha}`, `{x:regex(...)}`). Other constraints are accepted but not checked.
 */
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
  const segments = template.replace(/^\/+|\/+$/g, '').split('/').filter(Boolean).map(parseSegment);
  const specificity = segments.reduce((n, s) => n + (s.kind === 'literal' ? 2 : s.kind === 'param' && !s.catchAll ? 1 : 0), 0);
  return {
    template,
    specificity,
    match: (path) => matchSegments(segments, path.split('/').filter(Boolean)),
  };
}

function parseSegment(text: string): Segment {
  const m = /^\{(\*)?([A-Za-z_][A-Za-z0-9_]*)(?::([^?}]+(?:\([^)]*\))?))?(\?)?\}$/.exec(text);
  if (!m) {
    if (text.includes('{')) throw new Error(`Route segment "${text}" is not supported: use a whole segment like {name}.`);
    return { kind: 'literal', text: text.toLowerCase() };
  }
  return { kind: 'param', name: m[2] as string, catchAll: !!m[1], optional: !!m[4] || !!m[1], test: constraint(m[3]) };
}

function constraint(spec: string | undefined): (v: string) => boolean {
  if (!spec) return () => true;
  const regex = /^regex\((.*)\)$/.exec(spec);
  if (regex) {
    const re = new RegExp(regex[1] as string);
    return (v) => re.test(v);
  }
  switch (spec) {
    case 'int':
    case 'long':
      return (v) => /^-?\d+$/.test(v);
    case 'alpha':
      return (v) => /^[A-Za-z]+$/.test(v);
    case 'guid':
      return (v) => /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(v);
    case 'bool':
      return (v) => /^(true|false)$/i.test(v);
    default:
      return () => true;
  }
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
