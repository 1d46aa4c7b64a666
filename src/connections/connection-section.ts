// How the Functions host finds a connection setting: `AzureWebJobs<name>`, then `<name>`, each as
// `ConnectionStrings:<n>` or the app setting itself; a value is a connection string, and the
// `<n>__<key>` settings below it are an identity-based connection. Shared by the local host
// (src/host), which emulates that lookup, and the app (src/gateway), whose own clients must reach
// what its triggers reach. It imports neither.

type Env = Readonly<Record<string, string | undefined>>;

export interface ConnectionSection {
  /** The setting the section was found under (`AzureWebJobsStorage`, or `AzureWebJobsMyConn` before `MyConn`). */
  readonly name: string;
  /** The setting's own value: a connection string. Wins over any `__` keys, as on Azure. */
  readonly value?: string;
  /** `<name>__<key>` settings by lower-cased key: configuration keys are case-insensitive in the host. */
  readonly keys: ReadonlyMap<string, string>;
  /** Each key as the app settings spell it, for messages. */
  readonly spelled: ReadonlyMap<string, string>;
}

/** The section a connection name means, or undefined when no setting of that name exists at all. */
export function readConnectionSection(name: string, env: Env): ConnectionSection | undefined {
  for (const candidate of [`AzureWebJobs${name}`, name]) {
    const section = sectionNamed(candidate, env);
    if (section !== undefined) return section;
  }
  return undefined;
}

function sectionNamed(name: string, env: Env): ConnectionSection | undefined {
  const lower = name.toLowerCase();
  const prefix = `${lower}__`;
  let value: string | undefined;
  let stringValue: string | undefined;
  const keys = new Map<string, string>();
  const spelled = new Map<string, string>();
  for (const [key, raw] of Object.entries(env)) {
    const text = raw?.trim();
    if (!text) continue;
    const k = key.toLowerCase();
    if (k === `connectionstrings:${lower}`) stringValue = text;
    else if (k === lower) value = text;
    else if (k.startsWith(prefix) && k.length > prefix.length) {
      keys.set(k.slice(prefix.length), text);
      spelled.set(k.slice(prefix.length), key);
    }
  }
  // ConnectionStrings:<name> is looked at before the plain setting (GetConnectionStringOrSetting).
  const found = stringValue ?? value;
  if (found === undefined && keys.size === 0) return undefined;
  return { name, value: found, keys, spelled };
}

/** `<name>__<key>` as the app settings spell it (or as documented, when unset), for messages. */
export function settingKey(section: Pick<ConnectionSection, 'name' | 'spelled'>, key: string): string {
  return section.spelled.get(key.toLowerCase()) ?? `${section.name}__${key}`;
}

/** An error that names the setting that is wrong or missing, and never echoes a secret. */
export class ConnectionSettingError extends Error {
  constructor(
    readonly setting: string,
    readonly detail: string,
  ) {
    super(`${setting} ${detail}`);
    this.name = 'ConnectionSettingError';
  }
}
