// One place set-aside replies are held (the rejected blob container, the Service Bus forward
// queue, the reply subscription's dead-letter queue), as the catalogue (catalogue.ts) sees it:
// scan, show one, replay one, delete the old ones.
import type { RejectedDetail, RejectedItem, RejectedPlace } from './rejected-item.js';

export interface ScannedReply {
  /** The name inside the place (a blob name, a sequence number), in the place's order. */
  local: string;
  item: RejectedItem;
}

/** What a replay did: the reply went back to the normal intake, which decides again. */
export interface ReplayReceipt {
  name: string;
  requestId: string | null;
  /** Where it was handed back: `replies/<blob name>` or the reply topic. */
  replayedTo: string;
}

export interface RejectedSource {
  readonly place: RejectedPlace;
  /** Every reply held here that names `requestId` (all of them without one), at most `limit`. */
  scan(filter: { requestId?: string }, limit: number): AsyncGenerator<ScannedReply>;
  show(local: string): Promise<RejectedDetail | undefined>;
  /** Throws `rejected-not-found` or `replay-conflict` (GatewayError) when it cannot. */
  replay(local: string): Promise<ReplayReceipt>;
  /** Deletes up to `max` replies set aside at or before `cutoff`; answers how many. */
  expire(cutoff: Date, max: number): Promise<number>;
}

/** The order of locals inside one place: blob names by their bytes, sequence numbers as numbers. */
export function compareLocal(place: RejectedPlace, a: string, b: string): number {
  if (place === 'blob') return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
