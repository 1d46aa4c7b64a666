// What the set-aside-replies routes answer (GET /api/rejected, /api/rejected/{name}), and the
// names they use: one opaque, URL-safe name per set-aside reply, whatever held it. The JSON shape
// is a public contract (the console page reads it): fields are added, never renamed.
import { isRequestId } from '../contract.js';

export type RejectedChannel = 'blob' | 'servicebus';

/** Where a set-aside reply is held: the rejected container, the forward queue, the subscription's dead-letter queue. */
export type RejectedPlace = 'blob' | 'queue' | 'dlq';

export interface RejectedItem {
  name: string;
  channel: RejectedChannel;
  /** `unknown-request`, `late`, `duplicate`, `malformed`, or what the broker wrote (`MaxDeliveryCountExceeded`). */
  reason: string;
  description: string;
  /** The request the reply names; null when it names none (a malformed reply). */
  requestId: string | null;
  /** When the reply was set aside (blob) or reached the broker (Service Bus), ISO 8601. */
  receivedAt: string;
  size: number;
  contentType: string;
}

export interface RejectedList {
  items: RejectedItem[];
  continuation?: string;
  /** Set-aside replies by reason, over everything that matches the requestId filter (not the reason filter). */
  counts: Record<string, number>;
}

/** One reply shown whole: its item, the properties it carried, and its bytes. */
export interface RejectedDetail extends RejectedItem {
  /** Blob metadata or message application properties (and message ids), as they are. */
  properties: Record<string, string | number | boolean | null>;
  /** The body, base64; cut at SHOW_BODY_LIMIT (then `truncated`). */
  body: string;
  /** The body as text, when it is valid UTF-8. */
  text?: string;
  truncated?: true;
}

export const SHOW_BODY_LIMIT = 1_048_576;

/** A set-aside reply's local name inside its place: a blob name, or a sequence number. */
export interface RejectedRef {
  place: RejectedPlace;
  local: string;
}

// `blob.<base64url of the blob name>`, `queue.<sequence number>`, `dlq.<sequence number>`: blob
// names can hold `/` and anything else, which no route segment should have to carry.
const NAME_PATTERN = /^(?:blob\.([A-Za-z0-9_-]{1,1400})|(queue|dlq)\.(\d{1,20}))$/;

export function rejectedName(ref: RejectedRef): string {
  return ref.place === 'blob' ? `blob.${Buffer.from(ref.local, 'utf8').toString('base64url')}` : `${ref.place}.${ref.local}`;
}

export function parseRejectedName(name: unknown): RejectedRef | undefined {
  if (typeof name !== 'string') return undefined;
  const match = NAME_PATTERN.exec(name);
  if (match === null) return undefined;
  if (match[1] !== undefined) {
    const local = Buffer.from(match[1], 'base64url').toString('utf8');
    // Only names this module wrote: base64url that round-trips, to a non-empty name.
    return local !== '' && rejectedName({ place: 'blob', local }) === name ? { place: 'blob', local } : undefined;
  }
  return { place: match[2] as 'queue' | 'dlq', local: match[3] ?? '' };
}

/** The request id a reply names, when it is a valid one. */
export function requestIdOrNull(value: unknown): string | null {
  return isRequestId(value) ? value : null;
}

/** Text from a property that is input: a string, cut short; anything else becomes "". */
export function textOf(value: unknown, max = 1024): string {
  return typeof value === 'string' ? value.slice(0, max) : '';
}

/** The body as RejectedDetail carries it. */
export function bodyFields(bytes: Buffer): Pick<RejectedDetail, 'body' | 'text' | 'truncated'> {
  const kept = bytes.length > SHOW_BODY_LIMIT ? bytes.subarray(0, SHOW_BODY_LIMIT) : bytes;
  const fields: Pick<RejectedDetail, 'body' | 'text' | 'truncated'> = { body: kept.toString('base64') };
  try {
    fields.text = new TextDecoder('utf-8', { fatal: true }).decode(kept);
  } catch {
    // Not text: the base64 is all there is.
  }
  if (kept !== bytes) fields.truncated = true;
  return fields;
}
