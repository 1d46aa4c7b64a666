// Small readers for untyped configuration (a Config.json file or an object from code) that fail
// with the path of the offending field, so a typo is reported where it is, not as a later
// "entity not found".

export class TopologyConfigError extends Error {
  override readonly name = 'TopologyConfigError';

  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}

export type Fields = Readonly<Record<string, unknown>>;

export function readObject(value: unknown, field: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TopologyConfigError(field, `expected an object, got ${describe(value)}`);
  }
  return value as Fields;
}

export function readArray(value: unknown, field: string): readonly unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new TopologyConfigError(field, `expected an array, got ${describe(value)}`);
  return value;
}

export function rejectUnknownFields(fields: Fields, known: readonly string[], field: string): void {
  for (const key of Object.keys(fields)) {
    if (!known.includes(key)) {
      throw new TopologyConfigError(`${field}.${key}`, `unknown field (known: ${known.join(', ')})`);
    }
  }
}

export function readString(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new TopologyConfigError(field, `expected a string, got ${describe(value)}`);
  return value;
}

export function readOptionalString(value: unknown, field: string): string | undefined {
  return value === undefined ? undefined : readString(value, field);
}

export function readOptionalBoolean(value: unknown, field: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new TopologyConfigError(field, `expected true or false, got ${describe(value)}`);
  return value;
}

export function readOptionalInteger(value: unknown, field: string, minimum: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum) {
    throw new TopologyConfigError(field, `expected an integer of at least ${minimum}, got ${describe(value)}`);
  }
  return value;
}

// The real service's naming rule (letters, digits, '.', '-', '_', '/'; alphanumeric at both ends).
const entityNamePattern = /^[A-Za-z0-9]$|^[A-Za-z0-9][\w./-]*[A-Za-z0-9]$/;

export function readEntityName(value: unknown, field: string): string {
  const name = readString(value, field);
  if (!entityNamePattern.test(name)) {
    throw new TopologyConfigError(field, `'${name}' is not a valid entity name (letters, digits, '.', '-', '_', '/')`);
  }
  return name;
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? `'${value}'` : `${typeof value} ${JSON.stringify(value)}`;
}
