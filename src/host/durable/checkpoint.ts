/**
 * Checkpoints of the hub state, so that start-up replays only the log written since the last one.
 * A checkpoint `checkpoint-<lsn>.jsonl` holds the effect of every record before `<lsn>`; it is
 * written to a temporary file, fsynced and renamed, so a crash leaves either the old checkpoint
 * or the new one, never half of one. Older checkpoints and the log segments it covers are then deleted.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fsyncDir } from './commit-log.js';

const PREFIX = 'checkpoint-';
const SUFFIX = '.jsonl';

export function latestCheckpoint(dir: string): { lsn: number; file: string } | undefined {
  const found = fs
    .readdirSync(dir)
    .filter((f) => f.startsWith(PREFIX) && f.endsWith(SUFFIX))
    .map((f) => ({ lsn: Number(f.slice(PREFIX.length, -SUFFIX.length)), file: path.join(dir, f) }))
    .filter((c) => Number.isInteger(c.lsn))
    .sort((a, b) => b.lsn - a.lsn);
  return found[0];
}

/** Calls `onLine` for every line (unparsed) of the latest checkpoint; returns the LSN the log resumes at (0 without one). */
export function readCheckpoint(dir: string, onLine: (line: string) => void): number {
  return readCheckpointLines(dir, (line) => onLine(line.toString('utf8')));
}

/**
 * The same, each line as a view into the file's bytes (read into a buffer of their own, never
 * reused, so a caller may keep the views). Start-up
 * uses this one: a hub of 100 000 finished instances is a checkpoint of ~100 MB, mostly history
 * lines that stay unparsed, and decoding all of it to one string took longer than the rest of
 * the recovery; scanning bytes for newlines and decoding only what is parsed does not.
 */
export function readCheckpointLines(dir: string, onLine: (line: Buffer) => void): number {
  const latest = latestCheckpoint(dir);
  if (!latest) return 0;
  const bytes = fs.readFileSync(latest.file);
  let offset = 0;
  while (offset < bytes.length) {
    const end = bytes.indexOf(NEWLINE, offset);
    const stop = end < 0 ? bytes.length : end;
    if (stop > offset) onLine(bytes.subarray(offset, stop));
    offset = stop + 1;
  }
  return latest.lsn;
}

const NEWLINE = 0x0a;

/** Writes the lines (text, or bytes kept as they were read) as the checkpoint at `lsn`, then removes older checkpoints. */
export async function writeCheckpoint(dir: string, lsn: number, lines: readonly (string | Buffer)[]): Promise<void> {
  const final = path.join(dir, `${PREFIX}${String(lsn).padStart(12, '0')}${SUFFIX}`);
  const tmp = `${final}.tmp`;
  const handle = await fs.promises.open(tmp, 'w');
  const newline = Buffer.from('\n');
  try {
    // In slices: one buffer of a whole large hub would be needlessly big.
    for (let i = 0; i < lines.length; i += 1000) {
      const slice = lines.slice(i, i + 1000).flatMap((l) => [typeof l === 'string' ? Buffer.from(l, 'utf8') : l, newline]);
      await handle.write(Buffer.concat(slice));
    }
    await handle.datasync();
  } finally {
    await handle.close();
  }
  await fs.promises.rename(tmp, final);
  fsyncDir(dir);
  for (const f of fs.readdirSync(dir)) {
    const p = path.join(dir, f);
    if (f.startsWith(PREFIX) && p !== final) fs.rmSync(p, { force: true });
  }
}
