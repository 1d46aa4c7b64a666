// Set-aside replies as one resource over every place that holds them (rejected-source.ts): the
// list with its counts by reason and its continuation, one reply by name, and replay. The list
// is one pass over every place in a fixed order (blobs, forward queue, dead-letter queue): the
// pass counts, and keeps the page that follows the continuation's position.
import { isRequestId } from '../contract.js';
import { GatewayError } from '../errors.js';
import {
  parseRejectedName,
  type RejectedDetail,
  type RejectedList,
  type RejectedPlace,
  type RejectedRef,
  rejectedName,
} from './rejected-item.js';
import { compareLocal, type RejectedSource, type ReplayReceipt } from './rejected-source.js';

export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 200;
/** Replies read per place and list call; past it, counts cover the first ones only. */
export const SCAN_LIMIT = 10_000;

export interface ListQuery {
  reason?: string;
  requestId?: string;
  limit: number;
  continuation?: string;
}

function invalid(detail: string): GatewayError {
  return new GatewayError('invalid-query', detail);
}

/** The list's query string, checked: every mistake is a 400 naming the parameter. */
export function readListQuery(query: URLSearchParams): ListQuery {
  const parsed: ListQuery = { limit: DEFAULT_PAGE };
  const reason = query.get('reason');
  if (reason !== null) {
    if (!/^[A-Za-z0-9._-]{1,128}$/.test(reason)) throw invalid('reason must be 1-128 letters, digits, ".", "_" or "-".');
    parsed.reason = reason;
  }
  const requestId = query.get('requestId');
  if (requestId !== null) {
    if (!isRequestId(requestId)) throw invalid('requestId must be 1-64 letters, digits or "-".');
    parsed.requestId = requestId;
  }
  const limit = query.get('limit');
  if (limit !== null) {
    if (!/^\d{1,4}$/.test(limit) || Number(limit) < 1 || Number(limit) > MAX_PAGE) throw invalid(`limit must be 1-${MAX_PAGE}.`);
    parsed.limit = Number(limit);
  }
  const continuation = query.get('continuation');
  if (continuation !== null) {
    if (parseContinuation(continuation) === undefined) throw invalid('continuation is not one this API gave out.');
    parsed.continuation = continuation;
  }
  return parsed;
}

// The continuation is the name of the last reply on the page before: a position, not a snapshot,
// so replies removed or added meanwhile never make a page repeat or skip the rest.
function parseContinuation(token: string): RejectedRef | undefined {
  return parseRejectedName(token);
}

export class RejectedCatalogue {
  private readonly order: RejectedPlace[];

  constructor(private readonly sources: readonly RejectedSource[]) {
    this.order = sources.map((s) => s.place);
  }

  async list(query: ListQuery): Promise<RejectedList> {
    const after = query.continuation === undefined ? undefined : parseContinuation(query.continuation);
    const afterRank = after === undefined ? -1 : this.order.indexOf(after.place);
    const page: RejectedList = { items: [], counts: {} };
    let last: RejectedRef | undefined;
    for (const [rank, source] of this.sources.entries()) {
      for await (const { local, item } of source.scan({ requestId: query.requestId }, SCAN_LIMIT)) {
        page.counts[item.reason] = (page.counts[item.reason] ?? 0) + 1;
        if (query.reason !== undefined && item.reason !== query.reason) continue;
        const beyond =
          after === undefined || rank > afterRank || (rank === afterRank && compareLocal(source.place, local, after.local) > 0);
        if (!beyond) continue;
        if (page.items.length < query.limit) {
          page.items.push(item);
          last = { place: source.place, local };
        } else if (page.continuation === undefined && last !== undefined) {
          page.continuation = rejectedName(last);
        }
      }
    }
    return page;
  }

  async show(name: string): Promise<RejectedDetail> {
    const { source, ref } = this.find(name);
    const detail = await source.show(ref.local);
    if (detail === undefined) throw new GatewayError('rejected-not-found', `No set-aside reply ${name}.`);
    return detail;
  }

  replay(name: string): Promise<ReplayReceipt> {
    const { source, ref } = this.find(name);
    return source.replay(ref.local);
  }

  /** Deletes the replies set aside at or before `cutoff`, up to `max` per place; answers how many. */
  async expire(cutoff: Date, max: number): Promise<number> {
    let deleted = 0;
    for (const source of this.sources) deleted += await source.expire(cutoff, max);
    return deleted;
  }

  private find(name: string): { source: RejectedSource; ref: RejectedRef } {
    const ref = parseRejectedName(name);
    if (ref === undefined)
      throw new GatewayError('invalid-rejected-name', 'Set-aside reply names are the `name` fields GET /api/rejected answers.');
    const source = this.sources.find((s) => s.place === ref.place);
    // A Service Bus name on a gateway without Service Bus names nothing here.
    if (source === undefined) throw new GatewayError('rejected-not-found', `No set-aside reply ${name}.`);
    return { source, ref };
  }
}
