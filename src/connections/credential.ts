// The token credential an identity-based connection names, chosen as the Functions host chooses
// it (Microsoft.Extensions.Azure's credential-from-configuration): `__credential` = managedidentity
// → the managed identity (`__clientId` picks a user-assigned one, `__managedIdentityResourceId` by
// resource id); `__tenantId` + `__clientId` + `__clientSecret` → that app registration; otherwise
// DefaultAzureCredential (the developer's az login, environment, or the managed identity).
import { ClientSecretCredential, DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { type ConnectionSection, ConnectionSettingError, settingKey } from './connection-section.js';

export interface CredentialSettings {
  readonly credential?: string;
  readonly clientId?: string;
  readonly managedIdentityResourceId?: string;
  readonly tenantId?: string;
  readonly clientSecret?: string;
}

export function credentialSettings(section: ConnectionSection): CredentialSettings {
  const key = (k: string) => section.keys.get(k.toLowerCase());
  const settings: CredentialSettings = {
    credential: key('credential'),
    clientId: key('clientId'),
    managedIdentityResourceId: key('managedIdentityResourceId'),
    tenantId: key('tenantId'),
    clientSecret: key('clientSecret'),
  };
  if (settings.credential?.toLowerCase() === 'managedidentity' && settings.clientId && settings.managedIdentityResourceId) {
    throw new ConnectionSettingError(
      settingKey(section, 'clientId'),
      `and ${settingKey(section, 'managedIdentityResourceId')} both pick a managed identity: set one of them`,
    );
  }
  if (key('clientCertificate') !== undefined && !settings.clientSecret) {
    // The host looks the thumbprint up in a Windows certificate store, which a Node process has no access to.
    throw new ConnectionSettingError(
      settingKey(section, 'clientCertificate'),
      'is a certificate-store thumbprint, which this process cannot read: use __credential=managedidentity or a client secret',
    );
  }
  return settings;
}

/** A short, secret-free description of the credential, for start banners and errors. */
export function describeCredential(s: CredentialSettings): string {
  if (s.credential?.toLowerCase() === 'managedidentity') {
    if (s.clientId) return `managed identity (client id ${s.clientId})`;
    if (s.managedIdentityResourceId) return `managed identity (${s.managedIdentityResourceId})`;
    return 'system-assigned managed identity';
  }
  if (s.tenantId && s.clientId && s.clientSecret) return `app registration ${s.clientId} (client secret)`;
  return 'DefaultAzureCredential';
}

const credentials = new Map<string, TokenCredential>();

/**
 * One credential per distinct settings per process: each keeps its own token cache, so clients
 * that share a credential share its tokens instead of each asking the identity endpoint.
 */
export function credentialFor(s: CredentialSettings): TokenCredential {
  const cacheKey = JSON.stringify([s.credential?.toLowerCase(), s.clientId, s.managedIdentityResourceId, s.tenantId, s.clientSecret]);
  let credential = credentials.get(cacheKey);
  if (credential === undefined) {
    credential = createCredential(s);
    credentials.set(cacheKey, credential);
  }
  return credential;
}

function createCredential(s: CredentialSettings): TokenCredential {
  if (s.credential?.toLowerCase() === 'managedidentity') {
    if (s.clientId) return new ManagedIdentityCredential({ clientId: s.clientId });
    if (s.managedIdentityResourceId) return new ManagedIdentityCredential({ resourceId: s.managedIdentityResourceId });
    return new ManagedIdentityCredential();
  }
  if (s.tenantId && s.clientId && s.clientSecret) return new ClientSecretCredential(s.tenantId, s.clientId, s.clientSecret);
  return new DefaultAzureCredential(s.clientId ? { managedIdentityClientId: s.clientId } : {});
}
