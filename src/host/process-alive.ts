// Whether a process id on this machine is still running: one answer for the hub lease's dead-owner
// check and the orphan-Azurite check, which both act on pids read from storage or a file.

/** Signal 0 checks existence only; EPERM means it exists but belongs to someone else. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
