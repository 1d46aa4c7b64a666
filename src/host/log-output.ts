/**
 * The host's log on stdout, `[ISO time] level: message` a line, written in batches. Under load
 * the functions log a line or two per request, and each `console.log` is a write system call of
 * its own (stdout is a pipe or a terminal, both written synchronously): lines logged in one turn
 * of the event loop go out as one write instead. Lines keep their order; what is pending is
 * written synchronously when the process exits, and `flushLog` writes it at once (before the
 * host prints anything on stdout by other means, so nothing overtakes it).
 */
import fs from 'node:fs';

let pending: string[] = [];
let scheduled = false;

export function writeLogLine(level: string, message: string): void {
  pending.push(`[${new Date().toISOString()}] ${level}: ${message}`);
  if (scheduled) return;
  scheduled = true;
  setImmediate(flushLog);
}

export function flushLog(): void {
  scheduled = false;
  if (pending.length === 0) return;
  const text = `${pending.join('\n')}\n`;
  pending = [];
  process.stdout.write(text);
}

process.on('exit', () => {
  if (pending.length === 0) return;
  const text = `${pending.join('\n')}\n`;
  pending = [];
  fs.writeSync(1, text);
});
