// How the SDK names what it attaches to: `<queue>`, `<topic>`, `<topic>/Subscriptions/<sub>`, each
// optionally followed by `/$DeadLetterQueue`, and `<any of those>/$management` for the
// request/response operations. The service compares these without case.

export const cbsAddress = '$cbs';
const managementSuffix = '/$management';
const deadLetterSuffix = '/$deadletterqueue';

export interface EntityAddress {
  /** The address as the client gave it, for error messages. */
  readonly original: string;
  /** Queue or topic name, or the whole path when it has no subscription part. */
  readonly entity: string;
  readonly subscription?: string;
  readonly deadLetter: boolean;
}

export function isManagementAddress(address: string): boolean {
  return address.toLowerCase().endsWith(managementSuffix);
}

export function entityOfManagementAddress(address: string): string {
  return address.slice(0, address.length - managementSuffix.length);
}

export function parseEntityAddress(address: string): EntityAddress {
  let path = withoutEndpoint(address);
  const deadLetter = path.toLowerCase().endsWith(deadLetterSuffix);
  if (deadLetter) path = path.slice(0, path.length - deadLetterSuffix.length);
  const segments = path.split('/');
  const marker = segments.length >= 3 ? segments.length - 2 : -1;
  if (marker > 0 && segments[marker]?.toLowerCase() === 'subscriptions') {
    return {
      original: address,
      entity: segments.slice(0, marker).join('/'),
      subscription: segments[marker + 1],
      deadLetter,
    };
  }
  return { original: address, entity: path, deadLetter };
}

export function formatEntityPath(address: Omit<EntityAddress, 'original'>): string {
  const base = address.subscription === undefined ? address.entity : `${address.entity}/Subscriptions/${address.subscription}`;
  return address.deadLetter ? `${base}/$DeadLetterQueue` : base;
}

// Some clients attach with a full URI (`amqp://host:port/queue`); the path is what names the entity.
function withoutEndpoint(address: string): string {
  const uri = /^[a-z][a-z0-9+.-]*:\/\/[^/]*\/(.*)$/i.exec(address);
  const path = uri ? (uri[1] ?? '') : address;
  return path.replace(/^\/+/, '');
}
