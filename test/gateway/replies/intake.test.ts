import { describe, expect, it } from 'vitest';
import { confirmDelivery, decideReply, parseReplyBlob, retryDelayMs } from '../../../src/gateway/replies/intake.js';
import { snapshot } from '../snapshot.js';

const mine = 'blob:replies/req-1.json@"0x1"';
const envelope = (replyId: string) => ({ replyId, status: 200, contentType: 'text/plain', body: '', receivedAt: 'now' });
const timing = { elapsedMs: 0, graceMs: 5000, attempt: 0 };

describe('parseReplyBlob', () => {
  const facts = (name: string, metadata: Record<string, string> = {}, size = 10) => ({ name, metadata, size });

  it('takes the id up to the first dot, default status 200', () => {
    expect(parseReplyBlob(facts('req-1.json'))).toEqual({ ok: true, requestId: 'req-1', status: 200 });
    expect(parseReplyBlob(facts('req-1'))).toEqual({ ok: true, requestId: 'req-1', status: 200 });
    expect(parseReplyBlob(facts('req-1.reply.xml'))).toEqual({ ok: true, requestId: 'req-1', status: 200 });
  });

  it('reads metadata status case-insensitively', () => {
    expect(parseReplyBlob(facts('req-1', { Status: '404' }))).toMatchObject({ ok: true, status: 404 });
  });

  it.each([
    ['../req-1', {}, 10],
    ['x/req-1.json', {}, 10],
    ['.json', {}, 10],
    ['req_1.json', {}, 10],
    ['a'.repeat(65), {}, 10],
    ['req-1', { status: 'abc' }, 10],
    ['req-1', { status: '99' }, 10],
    ['req-1', { status: '101' }, 10],
    ['req-1', { status: '600' }, 10],
    ['req-1', {}, 0],
    ['req-1.x//y', {}, 10],
    ['req-1.x/../y', {}, 10],
  ])('%j %j size %d is malformed', (name, metadata, size) => {
    expect(parseReplyBlob(facts(name, metadata, size))).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('an empty reply with a status is fine (e.g. 204)', () => {
    expect(parseReplyBlob(facts('req-1', { status: '204' }, 0))).toMatchObject({ ok: true, status: 204 });
  });
});

describe('decideReply', () => {
  it('not found within the grace period: retry with growing, bounded backoff', () => {
    expect(decideReply(undefined, mine, timing)).toEqual({ action: 'retry', afterMs: 100 });
    expect(decideReply(undefined, mine, { ...timing, attempt: 2 })).toEqual({ action: 'retry', afterMs: 400 });
    expect(decideReply(undefined, mine, { ...timing, attempt: 10 })).toEqual({ action: 'retry', afterMs: 1000 });
    expect(decideReply(undefined, mine, { ...timing, elapsedMs: 4950, attempt: 10 })).toEqual({ action: 'retry', afterMs: 50 });
  });

  it('not found after the grace period: unknown-request', () => {
    expect(decideReply(undefined, mine, { ...timing, elapsedMs: 5000 })).toMatchObject({ action: 'setAside', reason: 'unknown-request' });
  });

  it.each(['Pending', 'Running', 'Suspended'])('%s: raise', (runtimeStatus) => {
    expect(decideReply(snapshot({ runtimeStatus }), mine, timing)).toEqual({ action: 'raise' });
  });

  it('completed with this reply: already delivered (the trigger fired again)', () => {
    expect(
      decideReply(snapshot({ runtimeStatus: 'Completed', output: { outcome: 'replied', reply: envelope(mine) } }), mine, timing),
    ).toEqual({
      action: 'alreadyDelivered',
    });
  });

  it('completed with another reply: duplicate', () => {
    const decision = decideReply(
      snapshot({ runtimeStatus: 'Completed', output: { outcome: 'replied', reply: envelope('other') } }),
      mine,
      timing,
    );
    expect(decision).toMatchObject({ action: 'setAside', reason: 'duplicate' });
  });

  it.each([
    [{ runtimeStatus: 'Completed', output: { outcome: 'timedOut' } }],
    [{ runtimeStatus: 'Terminated', output: 'sync wait expired' }],
    [{ runtimeStatus: 'Terminated', output: 'canceled by caller' }],
    [{ runtimeStatus: 'Canceled' }],
    [{ runtimeStatus: 'Failed' }],
    [{ runtimeStatus: 'Completed', output: null }],
  ])('%j: late', (fields) => {
    expect(decideReply(snapshot(fields), mine, timing)).toMatchObject({ action: 'setAside', reason: 'late' });
  });
});

describe('confirmDelivery', () => {
  it('still running: pending', () => {
    expect(confirmDelivery(snapshot({ runtimeStatus: 'Running' }), mine)).toEqual({ result: 'pending' });
  });
  it('suspended: held (the runtime keeps the event until the resume), not pending forever', () => {
    expect(confirmDelivery(snapshot({ runtimeStatus: 'Suspended', customStatus: { stage: 'AwaitingReply', since: 't' } }), mine)).toEqual({
      result: 'held',
    });
  });
  it('output has my reply: delivered, with the state the waiting caller is answered from', () => {
    expect(confirmDelivery(snapshot({ runtimeStatus: 'Completed', output: { outcome: 'replied', reply: envelope(mine) } }), mine)).toEqual({
      result: 'delivered',
      state: { kind: 'answered', reply: envelope(mine) },
    });
  });
  it('output has another reply (two replies raced): duplicate', () => {
    const result = confirmDelivery(
      snapshot({ runtimeStatus: 'Completed', output: { outcome: 'replied', reply: envelope('other') } }),
      mine,
    );
    expect(result).toMatchObject({ result: 'setAside', reason: 'duplicate' });
  });
  it('finished without it (a swallowed 410): late', () => {
    expect(confirmDelivery(snapshot({ runtimeStatus: 'Terminated', output: 'canceled by caller' }), mine)).toMatchObject({
      result: 'setAside',
      reason: 'late',
    });
  });
  it('vanished: unknown-request', () => {
    expect(confirmDelivery(undefined, mine)).toMatchObject({ result: 'setAside', reason: 'unknown-request' });
  });
});

describe('retryDelayMs', () => {
  it('never exceeds what is left', () => {
    expect(retryDelayMs(0, 30)).toBe(30);
    expect(retryDelayMs(0, -5)).toBe(0);
  });
});
