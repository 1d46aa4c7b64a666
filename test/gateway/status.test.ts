import { describe, expect, it } from 'vitest';
import { classifyRequest } from '../../src/gateway/request-state.js';
import { callerStatus, isFinalStatus, statusResource } from '../../src/gateway/status.js';
import { snapshot } from './snapshot.js';

const reply = { replyId: 'r', status: 200, contentType: 'text/plain', body: '', receivedAt: 'now' };

describe('callerStatus', () => {
  it.each([
    [{ runtimeStatus: 'Pending' }, 'Pending'],
    [{ runtimeStatus: 'Running', customStatus: { stage: 'Dispatching', since: 't' } }, 'Pending'],
    [{ runtimeStatus: 'Running', customStatus: null }, 'Pending'],
    [{ runtimeStatus: 'Running', customStatus: { stage: 'AwaitingReply', since: 't' } }, 'AwaitingReply'],
    [{ runtimeStatus: 'Suspended', customStatus: { stage: 'AwaitingReply', since: 't' } }, 'Suspended'],
    [{ runtimeStatus: 'Suspended', customStatus: { stage: 'Dispatching', since: 't' } }, 'Suspended'],
    [{ runtimeStatus: 'Completed', output: { outcome: 'replied', reply } }, 'Completed'],
    [{ runtimeStatus: 'Completed', output: { outcome: 'timedOut' } }, 'TimedOut'],
    [{ runtimeStatus: 'Completed', output: 'garbage' }, 'Failed'],
    [{ runtimeStatus: 'Terminated', output: 'sync wait expired' }, 'TimedOut'],
    [{ runtimeStatus: 'Terminated', output: 'canceled by caller' }, 'Canceled'],
    [{ runtimeStatus: 'Canceled' }, 'Canceled'],
    [{ runtimeStatus: 'Failed' }, 'Failed'],
  ] as const)('%j → %s', (fields, expected) => {
    expect(callerStatus(classifyRequest(snapshot(fields)))).toBe(expected);
  });

  it('final states', () => {
    expect(['Pending', 'AwaitingReply', 'Suspended'].map((s) => isFinalStatus(s as 'Pending'))).toEqual([false, false, false]);
    expect(['Completed', 'Failed', 'TimedOut', 'Canceled'].map((s) => isFinalStatus(s as 'Failed'))).toEqual([true, true, true, true]);
  });
});

describe('statusResource', () => {
  const request = {
    id: 'abc',
    operation: 'echo',
    method: 'POST',
    contentType: 'text/plain',
    body: '',
    bodyHash: 'h',
    query: {},
    replyTo: 'replies',
    waitMode: 'sync',
    deadlineMs: 1,
  };

  it('has exactly id, operation, status, createdAt (the submit clock), updatedAt', () => {
    const resource = statusResource(
      snapshot({
        id: 'abc',
        runtimeStatus: 'Completed',
        input: { ...request, createdAt: '2025-01-01T00:00:00.000Z' },
        output: { outcome: 'replied', reply },
      }),
    );
    expect(resource).toEqual({
      id: 'abc',
      operation: 'echo',
      status: 'Completed',
      createdAt: '2025-01-01T00:00:00.000Z',
      updatedAt: '2025-01-01T00:00:01.000Z',
    });
  });

  it('an updatedAt truncated to the second before the submit clock reads as the createdAt, not earlier', () => {
    const input = { ...request, createdAt: '2025-01-01T00:00:07.950Z' };
    // As the extension writes it: ToString("s") + "Z", the .95 s cut off.
    const truncated = statusResource(snapshot({ runtimeStatus: 'Running', input, updatedAt: '2025-01-01T00:00:07Z' }));
    expect(truncated.updatedAt).toBe('2025-01-01T00:00:07.950Z');
    const later = statusResource(snapshot({ runtimeStatus: 'Running', input, updatedAt: '2025-01-01T00:00:09Z' }));
    expect(later.updatedAt).toBe('2025-01-01T00:00:09Z');
  });
});
