/**
 * The inline route constraints of ASP.NET Core routing, which the Functions host uses for
 * `route` templates (`{id:int}`, `{n:long:min(1)}`, `{code:regex(^[a-z]{{3}}$)}`...). Each is
 * checked the way its ASP.NET constraint parses the value (invariant culture), so a route matches
 * locally exactly when it would on Azure. An unknown constraint is refused at start, as ASP.NET
 * refuses it, instead of silently matching everything.
 */
export type Constraint = (value: string) => boolean;

const INT32 = [-(2n ** 31n), 2n ** 31n - 1n] as const;
const INT64 = [-(2n ** 63n), 2n ** 63n - 1n] as const;
// .NET's NumberStyles allow surrounding white space; Integer = sign + digits.
const INTEGER = /^\s*[+-]?\d+\s*$/;
// NumberStyles.Float | AllowThousands (double, float): exponent allowed, thousands separators too.
const FLOAT = /^\s*[+-]?(?=[\d.])(?:\d{1,3}(?:,\d{3})+|\d*)(?:\.\d*)?(?:[eE][+-]?\d+)?\s*$/;
// NumberStyles.Number (decimal): thousands and a point, no exponent.
const DECIMAL = /^\s*[+-]?(?=[\d.])(?:\d{1,3}(?:,\d{3})+|\d*)(?:\.\d*)?\s*$/;
const FLOAT_SYMBOLS = /^\s*(?:[+-]?Infinity|-?∞|NaN)\s*$/;
const HEX = '[0-9a-f]';
const GUID_D = `${HEX}{8}-${HEX}{4}-${HEX}{4}-${HEX}{4}-${HEX}{12}`;
// Guid.TryParse takes the N, D, B and P formats.
const GUID = new RegExp(`^\\s*(?:${HEX}{32}|${GUID_D}|\\{${GUID_D}\\}|\\(${GUID_D}\\))\\s*$`, 'i');

function integerIn(range: readonly [bigint, bigint]): Constraint {
  return (v) => INTEGER.test(v) && BigInt(v.trim()) >= range[0] && BigInt(v.trim()) <= range[1];
}

// System.Decimal holds magnitudes up to 2^96 - 1.
const DECIMAL_MAX = 2n ** 96n - 1n;
function decimalInRange(v: string): boolean {
  const whole = v.trim().replace(/^[+-]/, '').replace(/,/g, '').split('.')[0] ?? '';
  return BigInt(whole || '0') <= DECIMAL_MAX;
}

function hasDigit(v: string): boolean {
  return /\d/.test(v);
}

/** `min(1)` → ['min', ['1']]; `regex(a(b)c)` keeps its inner parentheses. */
function parseCall(spec: string): { name: string; args: string[] } {
  const open = spec.indexOf('(');
  if (open < 0) return { name: spec.toLowerCase(), args: [] };
  if (!spec.endsWith(')')) throw new Error(`Route constraint "${spec}" has no closing parenthesis.`);
  const name = spec.slice(0, open).toLowerCase();
  const inner = spec.slice(open + 1, -1);
  return { name, args: name === 'regex' ? [inner] : inner.split(',').map((a) => a.trim()) };
}

function numberArg(spec: string, args: string[], count: number): bigint[] {
  if (args.length !== count || !args.every((a) => /^[+-]?\d+$/.test(a))) {
    throw new Error(`Route constraint "${spec}" needs ${count} whole-number argument${count > 1 ? 's' : ''}.`);
  }
  return args.map((a) => BigInt(a));
}

/** One constraint from its text (`int`, `range(1,10)`...); throws for one ASP.NET doesn't know. */
export function compileConstraint(spec: string): Constraint {
  const { name, args } = parseCall(spec);
  const long = integerIn(INT64);
  switch (name) {
    case 'int':
      return integerIn(INT32);
    case 'long':
      return long;
    case 'float':
    case 'double':
      // .NET Core 3+ parses an out-of-range float as ±Infinity instead of failing.
      return (v) => (FLOAT.test(v) && hasDigit(v)) || FLOAT_SYMBOLS.test(v);
    case 'decimal':
      return (v) => DECIMAL.test(v) && hasDigit(v) && decimalInRange(v);
    case 'bool':
      return (v) => /^\s*(?:true|false)\s*$/i.test(v);
    case 'guid':
      return (v) => GUID.test(v);
    case 'datetime':
      return (v) => v.trim() !== '' && !Number.isNaN(Date.parse(v));
    case 'alpha':
      return (v) => /^[a-z]+$/i.test(v);
    case 'required':
      return (v) => v !== '';
    case 'regex': {
      // ASP.NET matches regex constraints case-insensitively and does not anchor them.
      const re = new RegExp(args[0] ?? '', 'i');
      return (v) => re.test(v);
    }
    case 'min': {
      const [min] = numberArg(spec, args, 1) as [bigint];
      return (v) => long(v) && BigInt(v.trim()) >= min;
    }
    case 'max': {
      const [max] = numberArg(spec, args, 1) as [bigint];
      return (v) => long(v) && BigInt(v.trim()) <= max;
    }
    case 'range': {
      const [min, max] = numberArg(spec, args, 2) as [bigint, bigint];
      return (v) => long(v) && BigInt(v.trim()) >= min && BigInt(v.trim()) <= max;
    }
    case 'minlength': {
      const [min] = numberArg(spec, args, 1) as [bigint];
      return (v) => BigInt(v.length) >= min;
    }
    case 'maxlength': {
      const [max] = numberArg(spec, args, 1) as [bigint];
      return (v) => BigInt(v.length) <= max;
    }
    case 'length': {
      const [min, max] = args.length === 1 ? [...numberArg(spec, args, 1), ...numberArg(spec, args, 1)] : numberArg(spec, args, 2);
      return (v) => BigInt(v.length) >= (min as bigint) && BigInt(v.length) <= (max as bigint);
    }
    default:
      throw new Error(
        `Route constraint "${spec}" is not one ASP.NET routing knows (int, long, float, double, decimal, bool, guid, datetime, alpha, required, regex(), min(), max(), range(), length(), minlength(), maxlength()).`,
      );
  }
}

/** Splits `int:min(1):max(9)` at the colons that are not inside a constraint's parentheses. */
export function splitConstraints(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth = Math.max(0, depth - 1);
    else if (c === ':' && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out.filter(Boolean);
}
