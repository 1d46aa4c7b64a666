import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readCheckpoint, writeCheckpoint } from '../../../src/host/durable/checkpoint.js';
import { CommitLog, deleteSegmentsBefore, listSegments, readLog } from '../../../src/host/durable/commit-log.js';

/** The commit log and checkpoints on a real file system (a temporary folder). */
const dirs: string[] = [];
const tmp = (): string => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'commit-log-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('commit log', () => {
  it('groups what arrives during a write into the next write, applies in order, and reads back the same records', async () => {
    const dir = tmp();
    const applied: number[] = [];
    const log = new CommitLog<{ n: number }>({ dir, nextLsn: 0, onCommitted: (rs) => applied.push(...rs.map((r) => r.n)) });
    const order: number[] = [];
    await Promise.all(Array.from({ length: 200 }, (_, n) => log.append({ n }).then(() => order.push(n))));
    await log.close();
    expect(applied).toEqual(Array.from({ length: 200 }, (_, n) => n));
    expect(order).toEqual(applied);
    // The first write carries the first record; the rest waited for it and went together.
    expect(log.stats.writes).toBeLessThanOrEqual(3);
    expect(log.stats.records).toBe(200);
    const back = readLog<{ n: number }>(dir, 0);
    expect(back.records.map((r) => r.n)).toEqual(applied);
    expect(back.nextLsn).toBe(200);
    expect(readLog<{ n: number }>(dir, 150).records[0]).toEqual({ n: 150 });
  });

  it('cuts off a torn last line (a write never acknowledged) and continues after the good records', async () => {
    const dir = tmp();
    const log = new CommitLog<{ n: number }>({ dir, nextLsn: 0, onCommitted: () => undefined });
    await log.append({ n: 0 });
    await log.append({ n: 1 });
    await log.close();
    const [segment] = listSegments(dir);
    fs.appendFileSync(segment?.file ?? '', '{"n":2,"tor');
    const back = readLog<{ n: number }>(dir, 0);
    expect(back.records).toEqual([{ n: 0 }, { n: 1 }]);
    expect(fs.readFileSync(segment?.file ?? '', 'utf8').endsWith('\n')).toBe(true);
    const next = new CommitLog<{ n: number }>({ dir, nextLsn: back.nextLsn, onCommitted: () => undefined });
    await next.append({ n: 2 });
    await next.close();
    expect(readLog<{ n: number }>(dir, 0).records.map((r) => r.n)).toEqual([0, 1, 2]);
  });

  it('a gathering record shares its write with what is appended after it in the same turn, in order; alone it is still written', async () => {
    const dir = tmp();
    const applied: string[] = [];
    const log = new CommitLog<{ n: string }>({ dir, nextLsn: 0, onCommitted: (rs) => applied.push(...rs.map((r) => r.n)) });
    const message = log.append({ n: 'message' }, { gather: true });
    // As the engine does: the episode that handles the message appends its record behind it, after a few hops.
    const episode = Promise.resolve()
      .then(() => undefined)
      .then(() => log.append({ n: 'episode' }));
    await Promise.all([message, episode]);
    expect(applied).toEqual(['message', 'episode']);
    expect(log.stats.writes).toBe(1);
    // Nothing follows this one: the write still happens, and the append resolves.
    await log.append({ n: 'alone' }, { gather: true });
    expect(log.stats.writes).toBe(2);
    await log.close();
    expect(readLog<{ n: string }>(dir, 0).records.map((r) => r.n)).toEqual(['message', 'episode', 'alone']);
  });

  it('refuses appends once fenced (the hub lease was lost)', async () => {
    const log = new CommitLog<{ n: number }>({ dir: tmp(), nextLsn: 0, onCommitted: () => undefined });
    log.fence(new Error('lease lost'));
    await expect(log.append({ n: 0 })).rejects.toThrow('lease lost');
    await log.close();
  });
});

describe('checkpoints', () => {
  it('a checkpoint at a segment boundary covers the older segments, which are deleted; recovery reads checkpoint then log', async () => {
    const dir = tmp();
    let lines: string[] = [];
    const state: number[] = [];
    const log = new CommitLog<{ n: number }>({
      dir,
      nextLsn: 0,
      onCommitted: (rs) => state.push(...rs.map((r) => r.n)),
      onRotated: () => (lines = state.map((n) => JSON.stringify({ n }))),
    });
    for (let n = 0; n < 10; n++) await log.append({ n });
    log.requestRotation();
    for (let n = 10; n < 15; n++) await log.append({ n });
    await log.close();
    expect(lines).toHaveLength(10);
    await writeCheckpoint(dir, 10, lines);
    expect(deleteSegmentsBefore(dir, 10)).toBe(1);
    expect(listSegments(dir).map((s) => s.lsn)).toEqual([10]);

    const recovered: number[] = [];
    const from = readCheckpoint(dir, (l) => recovered.push((JSON.parse(l) as { n: number }).n));
    expect(from).toBe(10);
    recovered.push(...readLog<{ n: number }>(dir, from).records.map((r) => r.n));
    expect(recovered).toEqual(Array.from({ length: 15 }, (_, n) => n));
  });
});
