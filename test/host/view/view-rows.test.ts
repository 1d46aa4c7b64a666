import { describe, expect, it } from 'vitest';
import { EventType, event } from '../../../src/host/durable/history.js';
import { escapePartitionKey } from '../../../src/host/durable/view/partition-key.js';
import { historyBatches, historyRow, rowKey } from '../../../src/host/durable/view/view-rows.js';

describe('keys as the Azure Storage provider forms them', () => {
  it('escapes the characters table keys cannot hold, reversibly, with ^', () => {
    expect(escapePartitionKey('a^b/c\\d#e?f')).toBe('a^^b^0c^1d^2e^3f');
    expect(escapePartitionKey('x\u0001y\u007fz')).toBe(`x^${String.fromCharCode(0xc1)}y^${String.fromCharCode(0xc0 + 0x7f)}z`);
    expect(escapePartitionKey('plain-id_1:2')).toBe('plain-id_1:2');
  });

  it('formats the sequence number as 16 upper-case hex digits, so rows sort in history order', () => {
    expect(rowKey(0)).toBe('0000000000000000');
    expect(rowKey(255)).toBe('00000000000000FF');
    expect([rowKey(9), rowKey(10), rowKey(16)].sort()).toEqual([rowKey(9), rowKey(10), rowKey(16)]);
  });
});

describe('history transactions', () => {
  it('split at 99 rows plus the sentinel, which is marked complete only in the last batch', () => {
    const rows = Array.from(
      { length: 150 },
      (_, i) => historyRow('i', 'e', i, event(EventType.EventRaised, { Name: `n${i}` }), { hubName: 'H' }).entity,
    );
    const batches = historyBatches('i', 'e', rows);
    expect(batches.map((b) => b.length)).toEqual([100, 52]);
    expect(batches.map((b) => b.at(-1))).toMatchObject([
      { rowKey: 'sentinel', ExecutionId: 'e', IsCheckpointComplete: false },
      { rowKey: 'sentinel', ExecutionId: 'e', IsCheckpointComplete: true },
    ]);
    expect(batches.flatMap((b) => b.slice(0, -1).map((r) => r.rowKey))).toEqual(rows.map((r) => r.rowKey));
  });

  it('split before 4 MB when the rows are large', () => {
    const big = 'z'.repeat(25_000);
    const rows = Array.from(
      { length: 80 },
      (_, i) => historyRow('i', 'e', i, event(EventType.TaskCompleted, { TaskScheduledId: i, Result: big }), { hubName: 'H' }).entity,
    );
    const batches = historyBatches('i', 'e', rows);
    expect(batches.length).toBeGreaterThan(1);
    for (const b of batches) expect(b.reduce((n, r) => n + JSON.stringify(r).length, 0)).toBeLessThan(4 * 1024 * 1024);
  });
});
