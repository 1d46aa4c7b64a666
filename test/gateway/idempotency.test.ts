// The Idempotency-Key decisions, branch by branch, and the interleavings a real stack cannot be
// made to produce on demand (a claimer that dies between its record and its start, a start that is
// acknowledged before it is visible, a start refused for another reason). The records live in
// memory here with the same compare-and-swap rule as the blob (If-None-Match / If-Match); the
// real blob and the real Durable API are tested end to end in test/e2e/idempotency.test.ts.
import { describe, expect, it } from 'vitest';
import type { GatewayRequest } from '../../src/gateway/contract.js';
import { GatewayError } from '../../src/gateway/errors.js';
import { allowsNextAttempt, nextStep, START_CLAIM_GRACE_MS, startOrReuse } from '../../src/gateway/idempotency.js';
import type { KeyRecord, KeyRecords } from '../../src/gateway/key-records.js';
import type { InstanceSnapshot } from '../../src/gateway/request-state.js';

const T0 = Date.parse('2025-01-01T00:00:00Z');

function request(overrides: Partial<GatewayRequest> = {}): GatewayRequest {
  return {
    id: 'k-id',
    operation: 'echo',
    method: 'POST',
    contentType: 'application/json',
    body: '',
    bodyHash: 'h1',
    query: {},
    replyTo: 'replies',
    waitMode: 'sync',
    deadlineMs: 1000,
    createdAt: 't',
    ...overrides,
  };
}

function instance(runtimeStatus: string, input: GatewayRequest, output: unknown = null): InstanceSnapshot {
  return { id: input.id, runtimeStatus, input, output, customStatus: null, createdAt: 't', updatedAt: 't' };
}

function record(attempt: number, claimedAtMs = T0, bodyHash = 'h1'): KeyRecord {
  return { id: 'k-id', bodyHash, attempt, etag: `"${attempt}"`, claimedAt: new Date(claimedAtMs) };
}

class MemoryRecords implements KeyRecords {
  private stored?: KeyRecord;
  private version = 0;
  constructor(private readonly now: () => number) {}

  seed(attempt: number, claimedAtMs: number, bodyHash = 'h1'): void {
    this.stored = { ...record(attempt, claimedAtMs, bodyHash), etag: `"${++this.version}"` };
  }
  get attempt(): number | undefined {
    return this.stored?.attempt;
  }
  create(_id: string, bodyHash: string): Promise<KeyRecord | undefined> {
    if (this.stored !== undefined) return Promise.resolve(undefined);
    this.seed(1, this.now(), bodyHash);
    return this.read();
  }
  read(): Promise<KeyRecord | undefined> {
    return Promise.resolve(this.stored && { ...this.stored });
  }
  advance(r: KeyRecord, attempt: number): Promise<KeyRecord | undefined> {
    if (this.stored?.etag !== r.etag) return Promise.resolve(undefined);
    this.seed(attempt, this.now(), r.bodyHash);
    return this.read();
  }
}

/** A Durable port over one instance slot; `visibleAfterLooks` delays a start like a queued one. */
function durablePort(initial?: InstanceSnapshot, o: { visibleAfterLooks?: number; failStart?: Error } = {}) {
  let current = initial;
  let pending: InstanceSnapshot | undefined;
  let looksLeft = 0;
  const starts: GatewayRequest[] = [];
  return {
    starts,
    inspectWithInput: () => {
      if (pending !== undefined && looksLeft-- <= 0) [current, pending] = [pending, undefined];
      return Promise.resolve(current);
    },
    start: (r: GatewayRequest) => {
      if (o.failStart) return Promise.reject(o.failStart);
      starts.push(r);
      pending = instance('Pending', r);
      looksLeft = o.visibleAfterLooks ?? 0;
      if (looksLeft === 0) [current, pending] = [pending, undefined];
      return Promise.resolve();
    },
  };
}

function harness(initial?: InstanceSnapshot, o: Parameters<typeof durablePort>[1] = {}) {
  let clock = T0;
  const records = new MemoryRecords(() => clock);
  const durable = durablePort(initial, o);
  const deps = {
    durable,
    records,
    now: () => clock,
    sleep: (ms: number) => {
      clock += ms;
      return Promise.resolve();
    },
  };
  const submit = (mine = request()) => startOrReuse(deps, { request: mine, plan: { mode: 'sync', waitMs: 1000 }, idempotent: true });
  return { records, durable, submit, advanceClock: (ms: number) => (clock += ms) };
}

describe('allowsNextAttempt', () => {
  it.each([
    [{ kind: 'timedOut', by: 'syncWait' }, 'async', true],
    [{ kind: 'timedOut', by: 'deadline' }, 'sync', true],
    [{ kind: 'timedOut', by: 'deadline' }, 'async', false],
    [{ kind: 'canceled', reason: 'canceled by caller' }, 'async', true],
    [{ kind: 'answered', reply: {} }, 'sync', false],
    [{ kind: 'failed', noResult: false }, 'sync', false],
  ] as const)('%o of a %s request → %s', (state, waitMode, expected) => {
    expect(allowsNextAttempt(state as never, { waitMode })).toBe(expected);
  });
});

describe('nextStep', () => {
  const mine = request();
  it('a different fingerprint in the record or in the instance is 422', () => {
    expect(() => nextStep(record(1, T0, 'other'), undefined, mine, {}, T0)).toThrow(GatewayError);
    expect(() => nextStep(record(1), instance('Running', request({ bodyHash: 'other' })), mine, {}, T0)).toThrow(/different request/);
  });

  it('a running attempt is joined whatever the record says; started only by the call that started it', () => {
    const running = instance('Running', request({ attempt: 2 }));
    expect(nextStep(record(3), running, mine, {}, T0)).toMatchObject({ step: 'reuse', governing: { started: false } });
    expect(nextStep(record(2), running, mine, { started: 2 }, T0)).toMatchObject({ step: 'reuse', governing: { started: true } });
  });

  it('an answered attempt is the answer; one ended by the sync expiry moves the record on', () => {
    const answered = instance('Completed', mine, {
      outcome: 'replied',
      reply: { replyId: 'r', status: 200, contentType: 'x', body: '', receivedAt: 't' },
    });
    expect(nextStep(record(1), answered, mine, {}, T0)).toMatchObject({ step: 'reuse' });
    expect(nextStep(record(1), instance('Terminated', mine, 'sync wait expired'), mine, {}, T0)).toEqual({ step: 'advance', to: 2 });
  });

  it('a claimed attempt not started yet: its claimer starts it, others wait, and take it over after the grace', () => {
    const ended = instance('Terminated', mine, 'sync wait expired');
    expect(nextStep(record(2), ended, mine, { claimed: 2 }, T0)).toEqual({ step: 'start', attempt: 2 });
    expect(nextStep(record(2), ended, mine, {}, T0 + START_CLAIM_GRACE_MS)).toEqual({ step: 'wait' });
    expect(nextStep(record(2), ended, mine, {}, T0 + START_CLAIM_GRACE_MS + 1)).toEqual({ step: 'advance', to: 3 });
    expect(nextStep(record(1), undefined, mine, { started: 1 }, T0)).toEqual({ step: 'wait' });
  });
});

describe('startOrReuse', () => {
  it('the record creator starts attempt 1; a second submit joins it without starting', async () => {
    const h = harness();
    expect(await h.submit()).toEqual({ request: request(), started: true });
    expect(await h.submit()).toMatchObject({ started: false, request: { id: 'k-id' } });
    expect(h.durable.starts).toHaveLength(1);
  });

  it('a claimer that died before its start is taken over after the grace, as the next attempt', async () => {
    const h = harness();
    h.records.seed(1, T0);
    const governing = await h.submit();
    expect(governing).toMatchObject({ started: true, request: { attempt: 2 } });
    expect(h.durable.starts.map((r) => r.attempt)).toEqual([2]);
  });

  it('after a sync expiry the next attempt starts, and is read back before the caller waits on it', async () => {
    const h = harness(instance('Terminated', request(), 'sync wait expired'), { visibleAfterLooks: 3 });
    h.records.seed(1, T0 - 60_000);
    const governing = await h.submit();
    expect(governing).toMatchObject({ started: true, request: { attempt: 2 } });
    expect(h.records.attempt).toBe(2);
    expect(h.durable.starts).toHaveLength(1);
  });

  it('a start failure that is not a lost race is rethrown, not taken for reuse', async () => {
    const h = harness(undefined, { failStart: new Error('storage unavailable') });
    await expect(h.submit()).rejects.toThrow('storage unavailable');
  });

  it('a claim that never turns into an instance ends in an error, not an endless wait', async () => {
    const h = harness(undefined, { visibleAfterLooks: Number.POSITIVE_INFINITY });
    h.records.seed(1, T0);
    h.advanceClock(START_CLAIM_GRACE_MS + 1);
    await expect(h.submit()).rejects.toThrow(/claimed but never started/);
  });
});
