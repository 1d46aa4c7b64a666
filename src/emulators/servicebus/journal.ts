// What makes the endpoint durable: an append-only file of row changes (put, merge, delete) keyed
// by strings the stores choose. Each call to `write` is one line, so a line is the unit of
// atomicity; a line cut short by a crash was never acknowledged and is dropped on replay.
//
// Group commit: lines written in one event-loop turn (and while the previous batch is being
// synced) go out in one write followed by one fdatasync; `durable(callback)` fires once every
// line written before it is on disk. That is the fsync policy: nothing is acknowledged to a client
// before the fdatasync of the batch holding it has returned.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import path from 'node:path';

export type Row = Readonly<Record<string, unknown>>;

export type JournalOp =
  | { readonly put: string; readonly row: Row }
  | { readonly merge: string; readonly fields: Row }
  | { readonly del: string };

export interface Journal {
  /** False for the memory-only journal: callers may skip encoding what it would throw away. */
  readonly persistent: boolean;
  /** One atomic line of changes; returns at once, durability comes later. */
  write(ops: readonly JournalOp[]): void;
  /** Every `write` made inside `change` goes into one line: all of it survives a crash, or none. */
  atomically<T>(change: () => T): T;
  /** Called once everything written so far is on disk (at once when nothing is pending). */
  durable(callback: (error?: Error) => void): void;
  close(): Promise<void>;
}

/** Memory-only mode: nothing to wait for, so acknowledgements stay synchronous. */
export const memoryJournal: Journal = {
  persistent: false,
  write: () => undefined,
  atomically: (change) => change(),
  durable: (callback) => callback(),
  close: () => Promise.resolve(),
};

const fileName = 'servicebus.journal';
/** Rewrite the file once it holds this much more than the last snapshot. */
const compactionSlackBytes = 8 * 1024 * 1024;

export interface OpenedJournal {
  readonly journal: Journal;
  /** The state the file held (after dropping a torn last line), to load into the stores. */
  readonly rows: ReadonlyMap<string, Row>;
}

/**
 * Opens (or creates) the journal in `dataDir`, replays it, and starts a fresh file from a
 * snapshot of what it held, so a torn tail is cut off before anything new is appended.
 * `snapshot` is asked for every live row whenever the file is compacted.
 */
export function openFileJournal(
  dataDir: string,
  snapshot: () => Iterable<[string, Row]>,
  log: (line: string) => void,
  compactAfterBytes = compactionSlackBytes,
): OpenedJournal {
  mkdirSync(dataDir, { recursive: true });
  const file = journalFile(dataDir);
  const rows = replay(file, log);
  const size = rewrite(file, rows.entries(), '');
  return { rows, journal: new FileJournal(file, size, compactAfterBytes, snapshot, log) };
}

export function journalFile(dataDir: string): string {
  return path.join(dataDir, fileName);
}

function replay(file: string, log: (line: string) => void): Map<string, Row> {
  const rows = new Map<string, Row>();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return rows;
    throw error;
  }
  let start = 0;
  let lineNumber = 0;
  while (start < text.length) {
    const end = text.indexOf('\n', start);
    lineNumber++;
    const ops = end === -1 ? undefined : parseLine(text.slice(start, end));
    if (!ops) {
      // Only a batch whose fdatasync never returned can be cut short, and nothing in it was acknowledged.
      log(`journal ${file}: dropped ${text.length - start} bytes from line ${lineNumber} on (a write cut short by a crash)`);
      break;
    }
    for (const op of ops) apply(rows, op);
    start = end + 1;
  }
  return rows;
}

function parseLine(line: string): JournalOp[] | undefined {
  try {
    const ops: unknown = JSON.parse(line);
    return Array.isArray(ops) ? (ops as JournalOp[]) : undefined;
  } catch {
    return undefined;
  }
}

function apply(rows: Map<string, Row>, op: JournalOp): void {
  if ('put' in op) rows.set(op.put, op.row);
  else if ('merge' in op) {
    const row = rows.get(op.merge);
    if (row) rows.set(op.merge, { ...row, ...op.fields });
  } else rows.delete(op.del);
}

/** Writes a snapshot (plus lines not yet written) to a new file and renames it over the old one. */
function rewrite(file: string, rows: Iterable<[string, Row]>, tail: string): number {
  const temporary = `${file}.tmp`;
  const fd = openSync(temporary, 'w');
  let size = 0;
  try {
    // Snapshot rows go out a few hundred to a line, each line a valid batch of puts.
    let batch: JournalOp[] = [];
    const writeBatch = (): void => {
      if (batch.length > 0) size += writeSync(fd, `${JSON.stringify(batch)}\n`);
      batch = [];
    };
    for (const [key, row] of rows) {
      batch.push({ put: key, row });
      if (batch.length === 256) writeBatch();
    }
    writeBatch();
    if (tail) size += writeSync(fd, tail);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, file);
  // The rename itself must survive a crash, or the old file comes back.
  const dir = openSync(path.dirname(file), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
  return size;
}

class FileJournal implements Journal {
  readonly persistent = true;
  private pending: string[] = [];
  private written = 0;
  private synced = 0;
  private waiting: { readonly upTo: number; readonly callback: (error?: Error) => void }[] = [];
  private handle: Promise<FileHandle>;
  private flushing = false;
  private scheduled = false;
  private failure: Error | undefined;
  private bytesSinceSnapshot = 0;
  private closed = false;
  private grouped: JournalOp[] | undefined;

  constructor(
    private readonly file: string,
    private snapshotBytes: number,
    private readonly compactAfterBytes: number,
    private readonly snapshot: () => Iterable<[string, Row]>,
    private readonly log: (line: string) => void,
  ) {
    this.handle = open(file, 'a');
  }

  write(ops: readonly JournalOp[]): void {
    if (ops.length === 0) return;
    if (this.grouped) {
      this.grouped.push(...ops);
      return;
    }
    this.pending.push(`${JSON.stringify(ops)}\n`);
    this.written++;
    this.schedule();
  }

  atomically<T>(change: () => T): T {
    if (this.grouped) return change();
    const grouped: JournalOp[] = [];
    this.grouped = grouped;
    try {
      return change();
    } finally {
      this.grouped = undefined;
      this.write(grouped);
    }
  }

  durable(callback: (error?: Error) => void): void {
    if (this.failure) return callback(this.failure);
    if (this.synced >= this.written) return callback();
    this.waiting.push({ upTo: this.written, callback });
  }

  async close(): Promise<void> {
    this.closed = true;
    while (this.flushing || this.pending.length > 0) {
      if (!this.flushing) await this.flush();
      else await new Promise((resolve) => setImmediate(resolve));
    }
    await (await this.handle).close();
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    // One turn of the event loop gathers the batch.
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.flushing || this.pending.length === 0) return;
    this.flushing = true;
    const lines = this.pending;
    const upTo = this.written;
    this.pending = [];
    try {
      const text = lines.join('');
      if (this.bytesSinceSnapshot > this.compactAfterBytes + this.snapshotBytes && !this.closed) {
        await (await this.handle).close();
        // The snapshot already holds the effect of `lines`; replaying them after it is harmless.
        this.snapshotBytes = rewrite(this.file, this.snapshot(), text);
        this.bytesSinceSnapshot = 0;
        this.handle = open(this.file, 'a');
      } else {
        const handle = await this.handle;
        await handle.write(text);
        await handle.datasync();
        this.bytesSinceSnapshot += Buffer.byteLength(text);
      }
      this.synced = upTo;
    } catch (error) {
      this.failure = new Error(`The local Service Bus endpoint could not write its journal ${this.file}: ${String(error)}`);
      this.log(this.failure.message);
    } finally {
      this.flushing = false;
    }
    const ready = this.waiting.filter((waiter) => this.failure || waiter.upTo <= this.synced);
    this.waiting = this.waiting.filter((waiter) => !ready.includes(waiter));
    for (const waiter of ready) waiter.callback(this.failure);
    // What arrived while this batch was syncing is the next group.
    if (this.pending.length > 0) await this.flush();
  }
}
