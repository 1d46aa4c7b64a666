import { describe, expect, it } from 'vitest';
import type { ReplyEnvelope } from '../../src/gateway/contract.js';
import { mapOutcome } from '../../src/gateway/outcome.js';
import type { RequestState } from '../../src/gateway/request-state.js';

const reply: ReplyEnvelope = { replyId: 'r', status: 201, contentType: 'text/plain', body: 'aGk=', receivedAt: 'now' };

function problemOf(state: RequestState) {
  const mapped = mapOutcome(state, 'req-1');
  if (mapped.kind !== 'problem') throw new Error(`expected a problem, got ${mapped.kind}`);
  return mapped.error;
}

describe('mapOutcome', () => {
  it('answered → the reply', () => {
    expect(mapOutcome({ kind: 'answered', reply }, 'req-1')).toEqual({ kind: 'reply', reply });
  });
  it('timed out at the deadline → 504 reply-timed-out naming the id', () => {
    const error = problemOf({ kind: 'timedOut', by: 'deadline' });
    expect([error.status, error.code, error.requestId]).toEqual([504, 'reply-timed-out', 'req-1']);
    expect(error.message).toContain('req-1');
  });
  it('completed with an unknown output → 502', () => {
    expect(problemOf({ kind: 'failed', noResult: true }).status).toBe(502);
  });
  it('terminated for sync-wait expiry → 504 sync-wait-expired', () => {
    const error = problemOf({ kind: 'timedOut', by: 'syncWait' });
    expect([error.status, error.code]).toEqual([504, 'sync-wait-expired']);
    expect(error.message).toContain('req-1');
  });
  it('terminated otherwise, or Canceled → 409 request-canceled', () => {
    expect(problemOf({ kind: 'canceled', reason: 'canceled by caller' }).status).toBe(409);
    expect(problemOf({ kind: 'canceled', reason: 'operator' }).code).toBe('request-canceled');
    expect(problemOf({ kind: 'canceled', reason: '' }).status).toBe(409);
  });
  it('Failed → 502 processing-failed', () => {
    const error = problemOf({ kind: 'failed', noResult: false });
    expect([error.status, error.code]).toEqual([502, 'processing-failed']);
  });
  it('still running → pending (the caller terminates or answers 202)', () => {
    expect(mapOutcome({ kind: 'pending' }, 'req-1')).toEqual({ kind: 'pending' });
    expect(mapOutcome({ kind: 'awaitingReply' }, 'req-1')).toEqual({ kind: 'pending' });
    expect(mapOutcome({ kind: 'suspended', dispatched: true }, 'req-1')).toEqual({ kind: 'pending' });
  });
});
