/**
 * The commit log: JSON lines appended to segment files in the data folder, group committed.
 * Whatever is appended while one write is in flight goes into the next write, so one `fdatasync`
 * carries the changes of many instances. fsync policy: a record is acknowledged (its promise
 * resolves, its effect is applied) only after the write holding it has been `fdatasync`ed, and a
 * new segment's directory entry is fsynced before the first write into it. So SIGKILL or a power
 * cut loses nothing acknowledged; an unacknowledged tail may or may not survive (a torn last line
 * is cut off at recovery).
 *
 * A record appended with `gather` (a message the engine hands to its instance before it is
 * committed) waits one turn of the event loop before a write starts for it, so the record of the
 * episode that handles the message, appended within that turn, goes into the same write and shares
 * its `fdatasync`. The log's order still puts the message first, so an episode is never durable
 * without the message it consumed.
 */
import fs from 'node:fs';
import path from 'node:path';

const SEGMENT_PREFIX = 'log-';
const SEGMENT_SUFFIX = '.jsonl';

export interface CommitLogOptions<R> {
  dir: string;
  /** First log sequence number (LSN) the new segment starts at: one past everything recovered. */
  nextLsn: number;
  /** Applies committed records, in log order, before their appenders hear back. */
  onCommitted: (records: R[]) => void;
  /** Test hook: a pause between a durable write and its acknowledgement (a crash window). */
  commitDelayMs?: number;
  /** Called between two group commits when a checkpoint is due: the log has just moved to a new segment starting at `lsn`. */
  onRotated?: (lsn: number) => void;
}

interface Waiting<R> {
  record: R;
  gather: boolean;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class CommitLog<R> {
  private fd: number;
  private lsn: number;
  private segmentStart: number;
  private queue: Waiting<R>[] = [];
  private writing: Promise<void> | undefined;
  /** Set and cleared inside `drain` (not by a later callback), so an append never finds a finished drain still marked as running. */
  private draining = false;
  private rotateWanted = false;
  private failed: Error | undefined;
  private closed = false;
  /** Writes and records written, for the bench. */
  readonly stats = { writes: 0, records: 0, bytes: 0 };

  constructor(private readonly o: CommitLogOptions<R>) {
    this.lsn = o.nextLsn;
    this.segmentStart = o.nextLsn;
    this.fd = openSegment(o.dir, this.lsn);
  }

  get nextLsn(): number {
    return this.lsn;
  }

  /**
   * Resolves once the record is durable and applied. With `gather`, the write waits one turn for
   * records that follow it (see above) unless a record without it is queued meanwhile.
   */
  append(record: R, options: { gather?: boolean } = {}): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    if (this.closed) return Promise.reject(new Error('The commit log is closed (the host is stopping).'));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ record, gather: options.gather === true, resolve, reject });
      this.kick();
    });
  }

  /** Whether an append now would be refused (the log failed, was fenced or closed). */
  get refusing(): boolean {
    return this.failed !== undefined || this.closed;
  }

  /** Asks for a new segment before the next write (the old ones become deletable once a checkpoint covers them). */
  requestRotation(): void {
    this.rotateWanted = true;
    this.kick();
  }

  /** Refuses every further append (the hub lease was lost); what is queued is rejected. */
  fence(reason: Error): void {
    this.failed ??= reason;
    for (const w of this.queue.splice(0)) w.reject(reason);
  }

  /** Waits for the writes in flight, then refuses new appends. */
  async close(): Promise<void> {
    while (this.draining) await this.writing;
    if (this.closed) return;
    this.closed = true;
    fs.closeSync(this.fd);
  }

  private kick(): void {
    if (!this.draining) this.writing = this.drain();
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length > 0 || this.rotateWanted) {
        if (this.rotateWanted) this.rotate();
        // Only gathering records queued: one turn for the records that follow them (see above).
        if (this.queue.length > 0 && this.queue.every((w) => w.gather)) await new Promise((resolve) => setImmediate(resolve));
        const group = this.queue.splice(0);
        if (group.length > 0) await this.commit(group);
      }
    } finally {
      this.draining = false;
    }
  }

  private async commit(group: Waiting<R>[]): Promise<void> {
    const text = group.map((w) => JSON.stringify(w.record)).join('\n') + '\n';
    const buffer = Buffer.from(text, 'utf8');
    try {
      await write(this.fd, buffer);
      await datasync(this.fd);
      if (this.o.commitDelayMs) await new Promise((r) => setTimeout(r, this.o.commitDelayMs));
    } catch (err) {
      // A failed write may have left a partial line: nothing after it can be trusted to be read back.
      this.failed = new Error(`The commit log could not be written: ${(err as Error).message}`);
      for (const w of [...group, ...this.queue.splice(0)]) w.reject(this.failed);
      return;
    }
    this.lsn += group.length;
    this.stats.writes++;
    this.stats.records += group.length;
    this.stats.bytes += buffer.length;
    this.o.onCommitted(group.map((w) => w.record));
    for (const w of group) w.resolve();
  }

  private rotate(): void {
    this.rotateWanted = false;
    if (this.lsn === this.segmentStart) {
      this.o.onRotated?.(this.lsn);
      return;
    }
    fs.closeSync(this.fd);
    this.fd = openSegment(this.o.dir, this.lsn);
    this.segmentStart = this.lsn;
    this.o.onRotated?.(this.lsn);
  }
}

/** A segment's file name carries the LSN of its first record. */
export function segmentName(lsn: number): string {
  return `${SEGMENT_PREFIX}${String(lsn).padStart(12, '0')}${SEGMENT_SUFFIX}`;
}

/** Segments in the folder, oldest first. */
export function listSegments(dir: string): { lsn: number; file: string }[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.startsWith(SEGMENT_PREFIX) && f.endsWith(SEGMENT_SUFFIX))
    .map((f) => ({ lsn: Number(f.slice(SEGMENT_PREFIX.length, -SEGMENT_SUFFIX.length)), file: path.join(dir, f) }))
    .filter((s) => Number.isInteger(s.lsn))
    .sort((a, b) => a.lsn - b.lsn);
}

/**
 * The records at or after `fromLsn`, and the LSN after the last one. A line that does not parse
 * can only be the torn tail of a write that was never acknowledged: it and anything after it in
 * that segment are cut off, so the next run appends after good records only.
 */
export function readLog<R>(dir: string, fromLsn: number): { records: R[]; nextLsn: number } {
  const records: R[] = [];
  let next = fromLsn;
  for (const { lsn, file } of listSegments(dir)) {
    const text = fs.readFileSync(file, 'utf8');
    let offset = 0;
    let n = lsn;
    while (offset < text.length) {
      const end = text.indexOf('\n', offset);
      const line = end < 0 ? undefined : text.slice(offset, end);
      let record: R | undefined;
      try {
        record = line === undefined ? undefined : (JSON.parse(line) as R);
      } catch {
        record = undefined;
      }
      if (record === undefined) {
        fs.truncateSync(file, Buffer.byteLength(text.slice(0, offset), 'utf8'));
        break;
      }
      if (n >= fromLsn) records.push(record);
      n++;
      offset = end + 1;
    }
    next = Math.max(next, n);
  }
  return { records, nextLsn: next };
}

/** Deletes segments whose records all precede `lsn` (a checkpoint holds them now). */
export function deleteSegmentsBefore(dir: string, lsn: number): number {
  const segments = listSegments(dir);
  let deleted = 0;
  for (let i = 0; i < segments.length; i++) {
    const following = segments[i + 1];
    if (following && following.lsn <= lsn) {
      fs.rmSync((segments[i] as { file: string }).file, { force: true });
      deleted++;
    }
  }
  return deleted;
}

function openSegment(dir: string, lsn: number): number {
  const fd = fs.openSync(path.join(dir, segmentName(lsn)), 'a');
  fsyncDir(dir);
  return fd;
}

/** A new file's name is durable only once its directory is synced. */
export function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function write(fd: number, buffer: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const step = (offset: number): void => {
      fs.write(fd, buffer, offset, buffer.length - offset, null, (err, written) => {
        if (err) return reject(err);
        if (offset + written < buffer.length) return step(offset + written);
        resolve();
      });
    };
    step(0);
  });
}

function datasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
}
