// Reads the parts of a Bicep file the deploy tests check, without the Bicep compiler (it cannot
// be installed here): declarations (param, var, module, resource, output) and object/array
// literals. Literal values come back as JS values; anything computed comes back as a
// BicepExpression holding its source text, so a test can tell a default from a formula.

export class BicepExpression {
  constructor(readonly text: string) {}
}

export type BicepValue = string | number | boolean | null | BicepExpression | BicepValue[] | { [key: string]: BicepValue };

/** The source without // and /* *\/ comments (string contents kept as they are). */
export function stripComments(source: string): string {
  let out = '';
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    if (c === "'") {
      const end = stringEnd(source, i);
      out += source.slice(i, end);
      i = end;
    } else if (source.startsWith('//', i)) {
      while (i < source.length && source[i] !== '\n') i++;
    } else if (source.startsWith('/*', i)) {
      const end = source.indexOf('*/', i + 2);
      i = end < 0 ? source.length : end + 2;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

// Index just past the string starting at `start` ('…' with \ escapes, or '''…''').
function stringEnd(source: string, start: number): number {
  if (source.startsWith("'''", start)) {
    const end = source.indexOf("'''", start + 3);
    if (end < 0) throw new SyntaxError(`unterminated ''' string at ${start}`);
    return end + 3;
  }
  for (let i = start + 1; i < source.length; i++) {
    if (source[i] === '\\') i++;
    else if (source[i] === "'") return i + 1;
    else if (source[i] === '\n') break;
  }
  throw new SyntaxError(`unterminated string at ${start}: ${source.slice(start, start + 40)}`);
}

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\', "'": "'", $: '$' };

function unquote(raw: string): string {
  if (raw.startsWith("'''")) return raw.slice(3, -3);
  return raw.slice(1, -1).replace(/\\(.)/g, (_, e: string) => ESCAPES[e] ?? e);
}

class Reader {
  constructor(
    private readonly text: string,
    public pos: number,
  ) {}

  private skip(newlines: boolean): void {
    const pattern = newlines ? /[\s,]/ : /[ \t\r]/;
    while (this.pos < this.text.length && pattern.test(this.text[this.pos] ?? '')) this.pos++;
  }

  value(): BicepValue {
    this.skip(false);
    const c = this.text[this.pos];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === "'") {
      const end = stringEnd(this.text, this.pos);
      const raw = this.text.slice(this.pos, end);
      const next = this.text.slice(end).match(/^[ \t]*([^ \t\r])?/)?.[1];
      if (next === undefined || next === '\n' || next === ',' || next === '}' || next === ']') {
        this.pos = end;
        // An interpolated string is computed at deployment time.
        return raw.includes('${') ? new BicepExpression(raw) : unquote(raw);
      }
    }
    return this.expression();
  }

  private object(): { [key: string]: BicepValue } {
    const result: { [key: string]: BicepValue } = {};
    this.pos++;
    for (;;) {
      this.skip(true);
      if (this.text[this.pos] === '}') {
        this.pos++;
        return result;
      }
      let key: string;
      if (this.text[this.pos] === "'") {
        const end = stringEnd(this.text, this.pos);
        key = unquote(this.text.slice(this.pos, end));
        this.pos = end;
      } else {
        const match = /^[A-Za-z_$][\w$]*/.exec(this.text.slice(this.pos));
        if (!match) throw new SyntaxError(`expected a property name at ${this.pos}: ${this.text.slice(this.pos, this.pos + 40)}`);
        key = match[0];
        this.pos += key.length;
      }
      this.skip(false);
      if (this.text[this.pos] !== ':') throw new SyntaxError(`expected ':' after ${key} at ${this.pos}`);
      this.pos++;
      if (key in result) throw new SyntaxError(`property ${key} given twice`);
      result[key] = this.value();
    }
  }

  private array(): BicepValue[] {
    const result: BicepValue[] = [];
    this.pos++;
    for (;;) {
      this.skip(true);
      if (this.text[this.pos] === ']') {
        this.pos++;
        return result;
      }
      if (this.pos >= this.text.length) throw new SyntaxError('unterminated array');
      result.push(this.value());
    }
  }

  // Up to the end of the line, or a , } ] that closes nothing opened inside the expression.
  private expression(): BicepValue {
    const start = this.pos;
    let depth = 0;
    while (this.pos < this.text.length) {
      const c = this.text[this.pos] ?? '';
      if (c === "'") {
        this.pos = stringEnd(this.text, this.pos);
        continue;
      }
      if ('([{'.includes(c)) depth++;
      else if (')]}'.includes(c)) {
        if (depth === 0) break;
        depth--;
      } else if ((c === '\n' || c === ',') && depth === 0) break;
      this.pos++;
    }
    const text = this.text.slice(start, this.pos).trim();
    if (text === '') throw new SyntaxError(`expected a value at ${start}`);
    if (/^-?\d+$/.test(text)) return Number(text);
    if (text === 'true' || text === 'false') return text === 'true';
    if (text === 'null') return null;
    return new BicepExpression(text);
  }
}

/** Parses the value that starts at `pos` in comment-free source. */
export function parseValueAt(source: string, pos: number): BicepValue {
  return new Reader(source, pos).value();
}

export interface ParamDeclaration {
  readonly name: string;
  readonly type: string;
  readonly hasDefault: boolean;
}

export interface ModuleDeclaration {
  readonly symbol: string;
  readonly path: string;
  /** The module's `params: { … }`, keys as written. */
  readonly params: Record<string, BicepValue>;
}

export interface BicepFile {
  readonly source: string;
  readonly params: ParamDeclaration[];
  readonly vars: string[];
  readonly modules: ModuleDeclaration[];
  /** Resource symbol → type@apiVersion, nested resources included. */
  readonly resources: Map<string, string>;
  readonly outputs: string[];
}

export function readBicep(text: string): BicepFile {
  const source = stripComments(text);
  const params = [...source.matchAll(/^param\s+(\w+)\s+(\w+(?:\[\])?)([ \t]*=)?/gm)].map((m) => ({
    name: m[1] ?? '',
    type: m[2] ?? '',
    hasDefault: m[3] !== undefined,
  }));
  const vars = [...source.matchAll(/^var\s+(\w+)\s*=/gm)].map((m) => m[1] ?? '');
  const modules = [...source.matchAll(/^module\s+(\w+)\s+'([^']+)'\s*=\s*(?:if\s*\([^\n]*\)\s*)?\{/gm)].map((m) => {
    const body = parseValueAt(source, (m.index ?? 0) + m[0].length - 1);
    const params = isObject(body) ? body.params : undefined;
    return { symbol: m[1] ?? '', path: m[2] ?? '', params: isObject(params) ? params : {} };
  });
  const resources = new Map([...source.matchAll(/^\s*resource\s+(\w+)\s+'([^']+)'/gm)].map((m) => [m[1] ?? '', m[2] ?? '']));
  const outputs = [...source.matchAll(/^output\s+(\w+)\s/gm)].map((m) => m[1] ?? '');
  return { source, params, vars, modules, resources, outputs };
}

/** The literal value of `var name = …`. */
export function varValue(file: BicepFile, name: string): BicepValue {
  const match = new RegExp(`^var\\s+${name}\\s*=\\s*`, 'm').exec(file.source);
  if (!match) throw new Error(`no var ${name}`);
  return parseValueAt(file.source, match.index + match[0].length);
}

export function isObject(value: BicepValue | undefined): value is { [key: string]: BicepValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof BicepExpression);
}
