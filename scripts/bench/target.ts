// What the scenarios run against: the gateway stack over one reply channel, or the floor.
import type { ReplyDesk } from './reply-desk.js';

/** What the view must show of an instance for the bench to count it as written. */
export type ViewMark = 'finished' | 'waiting';

export interface StackProcess {
  name: string;
  pid: number;
}

export interface Target {
  /** 'servicebus' | 'blob' | 'floor'. */
  readonly name: string;
  /** POST here; a blocked client gets the reply in the response. */
  readonly submitUrl: string;
  readonly desk: ReplyDesk;
  /** The processes whose memory is the stack's (empty for the in-process floor). */
  readonly processes: readonly StackProcess[];
  /** The host's Durable management API (gateway only), to read histories. */
  readonly managementBase?: string;
  /**
   * How many of these instances the Durable view (`{hub}Instances`, written in the background)
   * does not yet show as finished, or (`waiting`) as waiting for their reply (gateway only).
   */
  viewBehind?(instanceIds: readonly string[], until?: ViewMark): Promise<number>;
  /** Management API calls and log writes counted in the host so far (gateway only). */
  callCounts?(): Map<string, number>;
  /** Settings worth printing beside the figures (poll intervals, storage mode). */
  readonly settings: Readonly<Record<string, string | number>>;
}

/** The reply every simulated backend sends, so a client can check it got its own. */
export function replyBody(id: string): Buffer {
  return Buffer.from(JSON.stringify({ id }), 'utf8');
}
