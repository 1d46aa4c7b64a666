import { describe, expect, it } from 'vitest';
import type { ReplyEnvelope } from '../../src/gateway/contract.js';
import { mapOutcome, outcomeOfRuntime, outcomeOfWaitResponse, type DurableOutcome } from '../../src/gateway/outcome.js';

const reply: ReplyEnvelope = { replyId: 'r', status: 201, contentType: 'text/plain', body: 'aGk=', receivedAt: 'now' };

function problemOf(outcome: DurableOutcome) {
  const mapped = mapOutcome(outcome, 'req-1');
  if (mapped.kind !== 'problem') throw new Error(`expected a problem, got ${mapped.kind}`);
  return mapped.error;
}

describe('outcomeOfRuntime', () => {
  it.each(['Pending', 'Running', 'Suspended', 'ContinuedAsNew', 'SomethingNew'])('%s is still running', (status) => {
    expect(outcomeOfRuntime(status, null)).toEqual({ kind: 'running' });
  });
  it('reads the terminate reason from the output', () => {
    expect(outcomeOfRuntime('Terminated', 'sync wait expired')).toEqual({ kind: 'terminated', reason: 'sync wait expired' });
    expect(outcomeOfRuntime('Terminated', null)).toEqual({ kind: 'terminated', reason: '' });
  });
  it('maps the final states', () => {
    expect(outcomeOfRuntime('Completed', { outcome: 'timedOut' })).toEqual({ kind: 'completed', output: { outcome: 'timedOut' } });
    expect(outcomeOfRuntime('Failed', 'x')).toEqual({ kind: 'failed' });
    expect(outcomeOfRuntime('Canceled', null)).toEqual({ kind: 'canceled' });
  });
});

describe('outcomeOfWaitResponse (field note #1: mixed shapes)', () => {
  it('200 with the raw output is Completed', () => {
    expect(outcomeOfWaitResponse(200, { outcome: 'replied', reply })).toEqual({ kind: 'completed', output: { outcome: 'replied', reply } });
  });
  it('200 with a status object is Terminated or Canceled, never a success', () => {
    expect(outcomeOfWaitResponse(200, { instanceId: 'x', runtimeStatus: 'Terminated', output: 'canceled by caller' })).toEqual({
      kind: 'terminated',
      reason: 'canceled by caller',
    });
    expect(outcomeOfWaitResponse(200, { runtimeStatus: 'Canceled', output: null })).toEqual({ kind: 'canceled' });
  });
  it('500 is Failed, 202 is still running', () => {
    expect(outcomeOfWaitResponse(500, { runtimeStatus: 'Failed' })).toEqual({ kind: 'failed' });
    expect(outcomeOfWaitResponse(202, undefined)).toEqual({ kind: 'running' });
  });
  it('anything else is an error', () => {
    expect(() => outcomeOfWaitResponse(404, null)).toThrow(/404/);
  });
});

describe('mapOutcome', () => {
  it('Completed + replied → the reply', () => {
    expect(mapOutcome({ kind: 'completed', output: { outcome: 'replied', reply } }, 'req-1')).toEqual({ kind: 'reply', reply });
  });
  it('Completed + timedOut → 504 reply-timed-out naming the id', () => {
    const error = problemOf({ kind: 'completed', output: { outcome: 'timedOut' } });
    expect([error.status, error.code, error.requestId]).toEqual([504, 'reply-timed-out', 'req-1']);
    expect(error.message).toContain('req-1');
  });
  it('Completed with an unknown output → 502', () => {
    expect(problemOf({ kind: 'completed', output: 'weird' }).status).toBe(502);
  });
  it('Terminated for sync-wait expiry → 504 sync-wait-expired', () => {
    const error = problemOf({ kind: 'terminated', reason: 'sync wait expired' });
    expect([error.status, error.code]).toEqual([504, 'sync-wait-expired']);
    expect(error.message).toContain('req-1');
  });
  it('Terminated otherwise, or Canceled → 409 request-canceled', () => {
    expect(problemOf({ kind: 'terminated', reason: 'canceled by caller' }).status).toBe(409);
    expect(problemOf({ kind: 'terminated', reason: 'operator' }).code).toBe('request-canceled');
    expect(problemOf({ kind: 'canceled' }).status).toBe(409);
  });
  it('Failed → 502 processing-failed', () => {
    const error = problemOf({ kind: 'failed' });
    expect([error.status, error.code]).toEqual([502, 'processing-failed']);
  });
  it('still running → pending (the caller terminates or answers 202)', () => {
    expect(mapOutcome({ kind: 'running' }, 'req-1')).toEqual({ kind: 'pending' });
  });
});
