import { describe, expect, it } from 'vitest';
import type { ReplyEnvelope } from '../../src/gateway/contract.js';
import { classifyRequest, isFinal } from '../../src/gateway/request-state.js';
import { snapshot } from './snapshot.js';

const reply: ReplyEnvelope = { replyId: 'r', status: 201, contentType: 'text/plain', body: 'aGk=', receivedAt: 'now' };
const classify = (runtimeStatus: string, output: unknown = null, customStatus: unknown = null) =>
  classifyRequest(snapshot({ runtimeStatus, output, customStatus }));

describe('classifyRequest', () => {
  it.each(['Pending', 'Running', 'ContinuedAsNew', 'SomethingNew'])('%s is still running', (status) => {
    expect(classify(status)).toEqual({ kind: 'pending' });
    expect(classify(status, null, { stage: 'AwaitingReply', since: 't' })).toEqual({ kind: 'awaitingReply' });
  });
  it('Suspended is not final, and remembers whether it was dispatched', () => {
    expect(classify('Suspended')).toEqual({ kind: 'suspended', dispatched: false });
    expect(classify('Suspended', null, { stage: 'AwaitingReply', since: 't' })).toEqual({ kind: 'suspended', dispatched: true });
    expect(isFinal(classify('Suspended'))).toBe(false);
  });
  it('reads the terminate reason from the output', () => {
    expect(classify('Terminated', 'sync wait expired')).toEqual({ kind: 'timedOut', by: 'syncWait' });
    expect(classify('Terminated', 'canceled by caller')).toEqual({ kind: 'canceled', reason: 'canceled by caller' });
    expect(classify('Terminated', null)).toEqual({ kind: 'canceled', reason: '' });
  });
  it('maps the final states', () => {
    expect(classify('Completed', { outcome: 'timedOut' })).toEqual({ kind: 'timedOut', by: 'deadline' });
    expect(classify('Completed', { outcome: 'replied', reply })).toEqual({ kind: 'answered', reply });
    expect(classify('Failed', 'x')).toEqual({ kind: 'failed', noResult: false });
    expect(classify('Canceled', null)).toEqual({ kind: 'canceled', reason: '' });
  });
  it('an output the orchestrator did not write is a failure without a result', () => {
    expect(classify('Completed', { outcome: 'replied' })).toEqual({ kind: 'failed', noResult: true });
    expect(classify('Completed', 'sync wait expired')).toEqual({ kind: 'failed', noResult: true });
    expect(classify('Completed', 'weird')).toEqual({ kind: 'failed', noResult: true });
  });
});
