import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Journal, journalFile, openFileJournal, type Row } from '../../../src/emulators/servicebus/journal.js';

// The journal on its own: replay, a write cut short by a crash, compaction, acknowledgement order.

let dataDir: string;
const logs: string[] = [];
beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-journal-'));
  logs.length = 0;
});
afterEach(() => {
  fs.rmSync(dataDir, { recursive: true, force: true });
});

function durable(journal: Journal): Promise<void> {
  return new Promise((resolve, reject) => journal.durable((error) => (error ? reject(error) : resolve())));
}

describe('journal', () => {
  it('replays puts, merges and deletes; a line cut short at the end is dropped, the rest kept', async () => {
    const { journal } = openFileJournal(
      dataDir,
      () => [],
      (line) => logs.push(line),
    );
    journal.write([
      { put: 'a', row: { n: 1 } },
      { put: 'b', row: { n: 2 } },
    ]);
    journal.write([{ merge: 'a', fields: { l: 1 } }]);
    journal.atomically(() => {
      journal.write([{ del: 'b' }]);
      journal.write([{ put: 'c', row: { n: 3 } }]);
    });
    await durable(journal);
    await journal.close();
    // A batch whose fdatasync never returned: half a line.
    fs.appendFileSync(journalFile(dataDir), '[{"put":"d","row":{"n":');

    const reopened = openFileJournal(
      dataDir,
      () => [],
      (line) => logs.push(line),
    );
    expect([...reopened.rows]).toEqual([
      ['a', { n: 1, l: 1 }],
      ['c', { n: 3 }],
    ]);
    expect(logs.join('\n')).toMatch(/dropped \d+ bytes from line/);
    await reopened.journal.close();
    // The torn tail is gone from the file, so what is appended next is not glued to it.
    expect(fs.readFileSync(journalFile(dataDir), 'utf8')).not.toContain('"d"');
  });

  it('acknowledges only after the batch is on disk, and compacts to a snapshot of the live rows', async () => {
    const live = new Map<string, Row>();
    const { journal } = openFileJournal(
      dataDir,
      () => live.entries(),
      () => undefined,
      64 * 1024,
    );
    let acknowledged = 0;
    for (let i = 0; i < 2_000; i++) {
      const key = `m|q|${i}`;
      live.set(key, { m: 'x'.repeat(100) });
      journal.write([{ put: key, row: { m: 'x'.repeat(100) } }]);
      if (i >= 10) {
        live.delete(`m|q|${i - 10}`);
        journal.write([{ del: `m|q|${i - 10}` }]);
      }
      journal.durable(() => acknowledged++);
      // Nothing is acknowledged in the turn that wrote it.
      expect(acknowledged).toBeLessThanOrEqual(i);
      if (i % 100 === 0) await durable(journal);
    }
    await durable(journal);
    expect(acknowledged).toBe(2_000);
    await journal.close();
    // 2000 puts of ~120 bytes would be ~250 KB; compaction keeps it near the 10 live rows plus slack.
    expect(fs.statSync(journalFile(dataDir)).size).toBeLessThan(150 * 1024);
    const reopened = openFileJournal(
      dataDir,
      () => [],
      () => undefined,
    );
    expect([...reopened.rows.keys()]).toEqual([...live.keys()]);
    await reopened.journal.close();
  });
});
