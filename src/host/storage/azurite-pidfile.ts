import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive } from '../process-alive.js';

/**
 * The embedded Azurite's pid, kept in its data folder while it runs, so a start after a crash
 * that somehow left it running (the parent watchdog should prevent that) finds it, says so and
 * stops it, instead of silently reusing a server nobody owns. A pid is only acted on when that
 * process is an Azurite using this very data folder (checked in /proc): pids are reused, and the
 * file is input like any other.
 */
const PID_FILE = 'azurite.pid';

export function writePidFile(location: string, pid: number): void {
  fs.writeFileSync(path.join(location, PID_FILE), `${pid}\n`);
}

export function removePidFile(location: string, pid: number): void {
  const file = path.join(location, PID_FILE);
  // Only our own: a newer run may have written its pid meanwhile.
  if (readPid(file) === pid) fs.rmSync(file, { force: true });
}

/** Stops a previous run's Azurite left on this data folder; returns a sentence saying what was found, if anything. */
export async function stopOrphanAzurite(location: string): Promise<string | undefined> {
  const file = path.join(location, PID_FILE);
  const pid = readPid(file);
  if (pid === undefined) return undefined;
  if (!isAlive(pid)) {
    fs.rmSync(file, { force: true });
    return undefined;
  }
  const cmdline = readCmdline(pid);
  if (cmdline === undefined) {
    throw new Error(
      `${file} names process ${pid}, which is running, but this system cannot tell whether it is the Azurite a previous run started: stop it, or delete the file if it is not Azurite.`,
    );
  }
  if (!cmdline.includes('azurite') || !cmdline.includes(path.resolve(location))) {
    // The pid was reused by an unrelated process: the file is stale.
    fs.rmSync(file, { force: true });
    return undefined;
  }
  process.kill(pid, 'SIGTERM');
  for (let waited = 0; isAlive(pid) && waited < 5_000; waited += 100) await sleep(100);
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  fs.rmSync(file, { force: true });
  return `Found the embedded Azurite of a previous run still running (pid ${pid}, data in ${location}); stopped it before starting a new one.`;
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function readCmdline(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return undefined;
  }
}
