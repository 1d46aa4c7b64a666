// The answers of the SDK's waitForCompletionOrCreateCheckStatusResponse, in the shapes its source
// gives them (durable-functions 3 DurableClient.js), each turned into the request's state.
import { describe, expect, it } from 'vitest';
import { TERMINATE_REASON_SYNC_EXPIRED } from '../../src/gateway/contract.js';
import { stateOfWaitAnswer } from '../../src/gateway/durable-port.js';

const id = 'req-1';
const status = (runtimeStatus: string, output: unknown) => ({
  name: 'gatewayOrchestrator',
  instanceId: id,
  runtimeStatus,
  input: null,
  output,
  customStatus: null,
  createdTime: '2025-01-01T00:00:00Z',
  lastUpdatedTime: '2025-01-01T00:00:01Z',
});
const reply = { replyId: 'r', status: 200, contentType: 'application/json', body: 'e30=', receivedAt: '2025-01-01T00:00:01.000Z' };

describe('stateOfWaitAnswer', () => {
  it('202 (still running) is not final, whatever the body', () => {
    expect(stateOfWaitAnswer(202, undefined, id)).toEqual({ kind: 'pending' });
  });

  it('200 with the output is the completed request; an output the gateway did not write is a failure without a result', () => {
    expect(stateOfWaitAnswer(200, { outcome: 'replied', reply }, id)).toEqual({ kind: 'answered', reply });
    expect(stateOfWaitAnswer(200, { outcome: 'timedOut' }, id)).toEqual({ kind: 'timedOut', by: 'deadline' });
    expect(stateOfWaitAnswer(200, undefined, id)).toEqual({ kind: 'failed', noResult: true });
  });

  it('200 with the whole status is a terminated or canceled instance, the sync expiry told apart by its reason', () => {
    expect(stateOfWaitAnswer(200, status('Terminated', TERMINATE_REASON_SYNC_EXPIRED), id)).toEqual({ kind: 'timedOut', by: 'syncWait' });
    expect(stateOfWaitAnswer(200, status('Terminated', 'by operator'), id)).toEqual({ kind: 'canceled', reason: 'by operator' });
    expect(stateOfWaitAnswer(200, status('Canceled', null), id)).toEqual({ kind: 'canceled', reason: '' });
  });

  it("a status of another instance is not taken for this one's status", () => {
    const other = { ...status('Terminated', 'x'), instanceId: 'req-2' };
    expect(stateOfWaitAnswer(200, other, id)).toEqual({ kind: 'failed', noResult: true });
  });

  it('500 with the status is a failed request; any other answer is refused by name', () => {
    expect(stateOfWaitAnswer(500, status('Failed', 'boom'), id)).toEqual({ kind: 'failed', noResult: false });
    expect(() => stateOfWaitAnswer(500, 'not a status', id)).toThrow(/HTTP 500 for instance 'req-1'/);
    expect(() => stateOfWaitAnswer(404, undefined, id)).toThrow(/HTTP 404/);
  });
});
