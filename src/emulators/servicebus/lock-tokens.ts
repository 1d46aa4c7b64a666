// A lock token travels two ways. As a delivery tag it is a .NET GUID's bytes (the first three
// groups little-endian), which the SDK reorders before printing it; in management requests the SDK
// sends it as a plain AMQP uuid. Both must name the same string the SDK shows as `lockToken`.
import { string_to_uuid, uuid_to_string } from 'rhea';

export function deliveryTagOf(lockToken: string): Buffer {
  return dotNetOrder(string_to_uuid(lockToken));
}

export function lockTokenOfUuid(bytes: Buffer): string {
  return uuid_to_string(bytes);
}

function dotNetOrder(bytes: Buffer): Buffer {
  const order = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];
  return Buffer.from(order.map((index) => bytes[index] ?? 0));
}
