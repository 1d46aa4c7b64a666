// The console's rows from Durable snapshots: which list a request lands in, what it shows, the
// order, and what happens to a request read in both lists or to an instance that is not the
// gateway's. Pure data; the route over a real host is test/e2e/console.test.ts.
import { describe, expect, it } from 'vitest';
import { RECENT_LIMIT, requestLists } from '../../../src/gateway/console/request-list.js';
import type { GatewayRequest, ReplyEnvelope } from '../../../src/gateway/contract.js';
import { snapshot } from '../snapshot.js';

const NOW = new Date('2025-01-01T00:01:00.000Z');

function request(id: string, createdAt: string, fields: Partial<GatewayRequest> = {}): GatewayRequest {
  return {
    id,
    operation: `op-${id}`,
    method: 'POST',
    contentType: 'application/json',
    body: '',
    bodyHash: '',
    query: {},
    replyTo: 'replies',
    waitMode: 'sync',
    deadlineMs: 1000,
    createdAt,
    ...fields,
  };
}

function instance(id: string, createdAt: string, fields: Parameters<typeof snapshot>[0] = {}, input: Partial<GatewayRequest> = {}) {
  return snapshot({ id, input: request(id, createdAt, input), createdAt, ...fields });
}

const reply = (status: number): ReplyEnvelope => ({ replyId: 'r', status, contentType: 'text/plain', body: '', receivedAt: 'now' });

describe('requestLists', () => {
  it('shows a waiting request with its operation, mode, age and deadline, the newest first', () => {
    const awaiting = { stage: 'AwaitingReply', since: '2025-01-01T00:00:30.000Z', deadline: '2025-01-01T00:02:00.000Z' };
    const lists = requestLists(
      [
        instance('a', '2025-01-01T00:00:10.000Z'),
        instance('b', '2025-01-01T00:00:30.000Z', { customStatus: awaiting }, { waitMode: 'async' }),
        instance('s', '2025-01-01T00:00:20.000Z', { runtimeStatus: 'Suspended' }),
      ],
      [],
      NOW,
    );
    expect(lists.pending).toEqual([
      {
        id: 'b',
        operation: 'op-b',
        mode: 'async',
        status: 'AwaitingReply',
        createdAt: '2025-01-01T00:00:30.000Z',
        ageMs: 30_000,
        deadline: awaiting.deadline,
      },
      { id: 's', operation: 'op-s', mode: 'sync', status: 'Suspended', createdAt: '2025-01-01T00:00:20.000Z', ageMs: 40_000 },
      { id: 'a', operation: 'op-a', mode: 'sync', status: 'Pending', createdAt: '2025-01-01T00:00:10.000Z', ageMs: 50_000 },
    ]);
    expect(lists.finished).toEqual([]);
    expect(lists.now).toBe(NOW.toISOString());
  });

  it('shows finished requests with the backend status when answered, the latest finished first', () => {
    const lists = requestLists(
      [],
      [
        instance('ok', '2025-01-01T00:00:00.000Z', {
          runtimeStatus: 'Completed',
          output: { outcome: 'replied', reply: reply(201) },
          updatedAt: '2025-01-01T00:00:00.250Z',
        }),
        instance('late', '2025-01-01T00:00:00.000Z', {
          runtimeStatus: 'Terminated',
          output: 'sync wait expired',
          updatedAt: '2025-01-01T00:00:05.000Z',
        }),
        instance('gone', '2025-01-01T00:00:00.000Z', {
          runtimeStatus: 'Terminated',
          output: 'canceled by caller',
          updatedAt: '2025-01-01T00:00:03.000Z',
        }),
        instance('bad', '2025-01-01T00:00:00.000Z', { runtimeStatus: 'Failed', updatedAt: '2025-01-01T00:00:01.000Z' }),
      ],
      NOW,
    );
    expect(lists.finished.map((r) => [r.id, r.status, r.httpStatus, r.latencyMs])).toEqual([
      ['late', 'TimedOut', undefined, 5000],
      ['gone', 'Canceled', undefined, 3000],
      ['bad', 'Failed', undefined, 1000],
      ['ok', 'Completed', 201, 250],
    ]);
  });

  it('lists a request that finished between the two reads only as finished', () => {
    const lists = requestLists(
      [instance('x', '2025-01-01T00:00:00.000Z')],
      [instance('x', '2025-01-01T00:00:00.000Z', { runtimeStatus: 'Completed', output: { outcome: 'timedOut' } })],
      NOW,
    );
    expect(lists.pending).toEqual([]);
    expect(lists.finished.map((r) => [r.id, r.status])).toEqual([['x', 'TimedOut']]);
  });

  it("leaves out instances whose input is not a gateway request (another orchestrator's, or no input)", () => {
    const lists = requestLists([snapshot({ id: 'other', input: { hello: 1 } }), snapshot({ id: 'bare' })], [], NOW);
    expect(lists.pending).toEqual([]);
  });

  it(`keeps the ${RECENT_LIMIT} latest finished requests`, () => {
    const many = Array.from({ length: RECENT_LIMIT + 5 }, (_, i) =>
      instance(`r${i}`, '2025-01-01T00:00:00.000Z', {
        runtimeStatus: 'Completed',
        output: { outcome: 'replied', reply: reply(200) },
        updatedAt: new Date(Date.parse('2025-01-01T00:00:00.000Z') + i * 1000).toISOString(),
      }),
    );
    const lists = requestLists([], many, NOW);
    expect(lists.finished).toHaveLength(RECENT_LIMIT);
    expect(lists.finished[0]?.id).toBe(`r${RECENT_LIMIT + 4}`);
  });
});
