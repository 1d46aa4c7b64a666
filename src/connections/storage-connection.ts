// A storage connection as the Functions host reads it: a connection string, or an identity-based
// connection whose service URIs come from `__accountName` (https://<account>.<service>.core.windows.net)
// or, failing that, `__blobServiceUri` / `__queueServiceUri` / `__tableServiceUri` (`__serviceUri`
// for blobs alone), the order the storage extensions look in. The caller says which services it
// needs, so a missing one is named at start rather than failing the first call.
import { type ConnectionSection, ConnectionSettingError, readConnectionSection, settingKey } from './connection-section.js';
import { type CredentialSettings, credentialSettings } from './credential.js';

type Env = Readonly<Record<string, string | undefined>>;

export type StorageService = 'blob' | 'queue' | 'table';

export type StorageConnection =
  | { readonly kind: 'connectionString'; readonly setting: string; readonly connectionString: string }
  | {
      readonly kind: 'identity';
      readonly setting: string;
      readonly serviceUris: Readonly<Partial<Record<StorageService, string>>>;
      readonly credential: CredentialSettings;
    };

/**
 * The connection `name` means, with a URI for every service in `needs`; throws a
 * ConnectionSettingError naming the settings to add when it is not set or is incomplete.
 */
export function resolveStorageConnection(name: string, env: Env, needs: readonly StorageService[]): StorageConnection {
  const section = readConnectionSection(name, env);
  if (section === undefined) {
    throw new ConnectionSettingError(name, `is not set: ${howToSet(name, needs)}`);
  }
  if (section.value !== undefined) return { kind: 'connectionString', setting: section.name, connectionString: section.value };
  const serviceUris: Partial<Record<StorageService, string>> = {};
  for (const service of ['blob', 'queue', 'table'] as const) {
    const uri = serviceUri(section, service);
    if (uri !== undefined) serviceUris[service] = uri;
  }
  const missing = needs.filter((service) => serviceUris[service] === undefined);
  if (missing.length > 0) {
    const keys = [...section.keys.keys()].map((k) => settingKey(section, k)).join(', ');
    throw new ConnectionSettingError(
      section.name,
      `is an identity-based connection (${keys}) without a ${missing.join(', ')} service URI: set ${settingKey(section, 'accountName')}, or ${missing.map((s) => settingKey(section, `${s}ServiceUri`)).join(' and ')}`,
    );
  }
  return { kind: 'identity', setting: section.name, serviceUris, credential: credentialSettings(section) };
}

function serviceUri(section: ConnectionSection, service: StorageService): string | undefined {
  const account = section.keys.get('accountname');
  if (account !== undefined) {
    if (!/^[a-z0-9]{3,24}$/.test(account)) {
      throw new ConnectionSettingError(
        settingKey(section, 'accountName'),
        `"${account}" is not a storage account name (3-24 lowercase letters and digits)`,
      );
    }
    return `https://${account}.${service}.core.windows.net`;
  }
  const key = `${service}ServiceUri`;
  const raw = section.keys.get(key.toLowerCase()) ?? (service === 'blob' ? section.keys.get('serviceuri') : undefined);
  if (raw === undefined) return undefined;
  const setting = settingKey(section, section.keys.has(key.toLowerCase()) ? key : 'serviceUri');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConnectionSettingError(setting, `"${raw}" is not an absolute URI`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new ConnectionSettingError(setting, `must be an https URI, got ${url.protocol}`);
  if (url.search || url.username || url.password) {
    throw new ConnectionSettingError(setting, 'must not carry a query (a SAS) or credentials: the identity signs the requests');
  }
  return url.href.replace(/\/+$/, '');
}

function howToSet(name: string, needs: readonly StorageService[]): string {
  const uris = needs.map((s) => `${name}__${s}ServiceUri`).join(' + ');
  return `give it a connection string, or an identity-based connection: ${name}__accountName (or ${uris}), with ${name}__credential=managedidentity and ${name}__clientId for a user-assigned identity`;
}

/** Where a storage connection points, without a key: for banners and errors. */
export function describeStorageConnection(connection: StorageConnection): string {
  if (connection.kind === 'identity')
    return `${connection.serviceUris.blob ?? connection.serviceUris.queue ?? connection.serviceUris.table} (identity)`;
  return connection.connectionString.replace(/(AccountKey|SharedAccessSignature|SharedAccessKey)=[^;]+/gi, '$1=***');
}
