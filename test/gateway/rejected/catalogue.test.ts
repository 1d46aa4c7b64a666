// The catalogue's one pass over every place: counts by reason (requestId filter only), the page
// after the continuation's position, and names that only this API hands out.
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/gateway/errors.js';
import { RejectedCatalogue, readListQuery } from '../../../src/gateway/rejected/catalogue.js';
import { parseRejectedName, type RejectedItem, type RejectedPlace, rejectedName } from '../../../src/gateway/rejected/rejected-item.js';
import type { RejectedSource, ScannedReply } from '../../../src/gateway/rejected/rejected-source.js';

function item(place: RejectedPlace, local: string, reason: string, requestId: string | null = 'r1'): ScannedReply {
  const entry: RejectedItem = {
    name: rejectedName({ place, local }),
    channel: place === 'blob' ? 'blob' : 'servicebus',
    reason,
    description: '',
    requestId,
    receivedAt: new Date(0).toISOString(),
    size: 1,
    contentType: 'text/plain',
  };
  return { local, item: entry };
}

function source(place: RejectedPlace, replies: ScannedReply[]): RejectedSource {
  return {
    place,
    async *scan(filter, limit) {
      let n = 0;
      for (const r of replies) {
        if (n++ >= limit) return;
        if (filter.requestId === undefined || r.item.requestId === filter.requestId) yield await Promise.resolve(r);
      }
    },
    show: () => Promise.resolve(undefined),
    replay: () => Promise.reject(new Error('not here')),
    expire: () => Promise.resolve(0),
  };
}

const catalogue = new RejectedCatalogue([
  source('blob', [item('blob', 'a/1', 'late'), item('blob', 'b/1', 'duplicate', 'r2'), item('blob', 'c/1', 'late')]),
  source('queue', [item('queue', '9', 'late')]),
  source('dlq', [item('dlq', '2', 'malformed', null), item('dlq', '10', 'late')]),
]);

async function allPages(query: { reason?: string; requestId?: string; limit: number }) {
  const names: string[] = [];
  let continuation: string | undefined;
  do {
    const page = await catalogue.list({ ...query, ...(continuation ? { continuation } : {}) });
    expect(page.items.length).toBeLessThanOrEqual(query.limit);
    names.push(...page.items.map((i) => i.name));
    continuation = page.continuation;
  } while (continuation !== undefined);
  return names;
}

describe('RejectedCatalogue.list', () => {
  it('pages through every place in order, sequence numbers as numbers, without repeats or gaps', async () => {
    const everything = (await catalogue.list({ limit: 50 })).items.map((i) => i.name);
    expect(everything).toEqual(
      ['blob/a/1', 'blob/b/1', 'blob/c/1', 'queue/9', 'dlq/2', 'dlq/10'].map((n) => {
        const [place, ...rest] = n.split('/');
        return rejectedName({ place: place as RejectedPlace, local: rest.join('/') });
      }),
    );
    for (const limit of [1, 2, 4, 5, 6]) expect(await allPages({ limit })).toEqual(everything);
  });

  it('filters by reason for the items but counts every reason; the requestId filter applies to both', async () => {
    const late = await catalogue.list({ reason: 'late', limit: 50 });
    expect(late.items.map((i) => i.reason)).toEqual(['late', 'late', 'late', 'late']);
    expect(late.counts).toEqual({ late: 4, duplicate: 1, malformed: 1 });
    expect(await allPages({ reason: 'late', limit: 3 })).toEqual(late.items.map((i) => i.name));
    const r2 = await catalogue.list({ requestId: 'r2', limit: 50 });
    expect(r2.items.map((i) => i.requestId)).toEqual(['r2']);
    expect(r2.counts).toEqual({ duplicate: 1 });
  });

  it('answers no continuation on the last page, and an empty page after the last position', async () => {
    expect((await catalogue.list({ limit: 6 })).continuation).toBeUndefined();
    const last = rejectedName({ place: 'dlq', local: '10' });
    expect((await catalogue.list({ limit: 6, continuation: last })).items).toEqual([]);
  });
});

describe('set-aside reply names and the list query', () => {
  it('round-trips blob names of any text and sequence numbers; refuses anything this API did not write', () => {
    for (const local of ['abc.json/0x8D1', 'a b/ü/😀', '../x']) {
      expect(parseRejectedName(rejectedName({ place: 'blob', local }))).toEqual({ place: 'blob', local });
    }
    expect(parseRejectedName('dlq.12')).toEqual({ place: 'dlq', local: '12' });
    for (const bad of ['', 'blob.', 'blob.a+b', 'queue.x', 'dlq.-1', 'other.1', 'blob.YQ=', 'blob.YR', 42]) {
      expect(parseRejectedName(bad)).toBeUndefined();
    }
  });

  it('reads reason, requestId, limit and continuation, each mistake a 400 naming the parameter', () => {
    expect(readListQuery(new URLSearchParams('reason=late&requestId=abc-1&limit=7&continuation=dlq.3'))).toEqual({
      reason: 'late',
      requestId: 'abc-1',
      limit: 7,
      continuation: 'dlq.3',
    });
    expect(readListQuery(new URLSearchParams('')).limit).toBe(50);
    for (const [query, parameter] of [
      ['limit=0', 'limit'],
      ['limit=201', 'limit'],
      ['limit=1.5', 'limit'],
      ['requestId=a/b', 'requestId'],
      ['reason=a%20b', 'reason'],
      ['continuation=zzz', 'continuation'],
    ] as const) {
      let thrown: unknown;
      try {
        readListQuery(new URLSearchParams(query));
      } catch (error) {
        thrown = error;
      }
      expect(thrown, query).toBeInstanceOf(GatewayError);
      expect((thrown as GatewayError).code).toBe('invalid-query');
      expect((thrown as GatewayError).message).toContain(parameter);
    }
  });
});
