// A Service Bus connection as the Functions host's Service Bus extension reads it: a connection
// string, or `__fullyQualifiedNamespace` with the identity the other `__` keys name.
import { ConnectionSettingError, readConnectionSection, settingKey } from './connection-section.js';
import { type CredentialSettings, credentialSettings } from './credential.js';

type Env = Readonly<Record<string, string | undefined>>;

export type ServiceBusConnection =
  | { readonly kind: 'connectionString'; readonly setting: string; readonly connectionString: string }
  | {
      readonly kind: 'identity';
      readonly setting: string;
      readonly fullyQualifiedNamespace: string;
      readonly credential: CredentialSettings;
    };

// A host name: the SDK dials amqps://<namespace>:5671, so a scheme, port or path is a mistake.
const NAMESPACE_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;

/** The connection, undefined when nothing of that name is set; partial settings are refused by name. */
export function resolveServiceBusConnection(name: string, env: Env): ServiceBusConnection | undefined {
  const section = readConnectionSection(name, env);
  if (section === undefined) return undefined;
  if (section.value !== undefined) return { kind: 'connectionString', setting: section.name, connectionString: section.value };
  const namespace = section.keys.get('fullyqualifiednamespace');
  const setting = settingKey(section, 'fullyQualifiedNamespace');
  if (namespace === undefined) {
    const keys = [...section.keys.keys()].map((k) => settingKey(section, k)).join(', ');
    throw new ConnectionSettingError(
      setting,
      `is not set, but ${keys} is: an identity-based Service Bus connection needs the namespace (e.g. my-namespace.servicebus.windows.net), or set ${section.name} to a connection string`,
    );
  }
  if (!NAMESPACE_PATTERN.test(namespace)) {
    throw new ConnectionSettingError(
      setting,
      `"${namespace}" is not a host name like my-namespace.servicebus.windows.net (no scheme, port or path)`,
    );
  }
  return { kind: 'identity', setting: section.name, fullyQualifiedNamespace: namespace, credential: credentialSettings(section) };
}
