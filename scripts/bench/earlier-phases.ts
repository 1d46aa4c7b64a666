/**
 * What the phases before the holding phase left in a stack, so that holding can run on a freshly
 * started stack without hiding that cost. Every finished request stays in the host's hub state
 * and in Azurite's view tables until retention purges it, so after the latency and throughput
 * phases the stack's RSS is mostly their finished instances, not the held callers; the holding
 * row then carries how many there were and what each cost each process (RSS just before the
 * first stack stopped, against the fresh stack's RSS just before holding started).
 */
import { memoryOf } from './processes.js';
import type { Target } from './target.js';

export interface EarlierPhases {
  /** Instances finished in the first stack when it stopped. */
  finished: number;
  /** Each process's RSS (MiB) in the first stack just before it stopped. */
  leftMiB: Record<string, number>;
}

/** Counts the finished instances through the management API (pages of 1000, no inputs). */
export async function countFinished(managementBase: string): Promise<number> {
  let count = 0;
  let continuation: string | null = null;
  do {
    const res: Response = await fetch(`${managementBase}/instances?runtimeStatus=Completed,Failed,Terminated&showInput=false&top=1000`, {
      headers: continuation ? { 'x-ms-continuation-token': continuation } : {},
    });
    if (!res.ok) throw new Error(`listing finished instances: HTTP ${res.status}`);
    count += ((await res.json()) as unknown[]).length;
    continuation = res.headers.get('x-ms-continuation-token');
  } while (continuation);
  return count;
}

export async function earlierPhases(target: Target): Promise<EarlierPhases> {
  const finished = target.managementBase === undefined ? 0 : await countFinished(target.managementBase);
  return { finished, leftMiB: Object.fromEntries(target.processes.map((p) => [p.name, memoryOf(p.pid).rssMiB])) };
}

/** RSS per finished instance (KiB) per process: the first stack's RSS over the fresh one's, both just before holding. */
export function perFinishedKiB(earlier: EarlierPhases, freshMiB: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(earlier.leftMiB).map(([name, left]) => [
      name,
      earlier.finished > 0 ? Math.round((((left - (freshMiB[name] ?? NaN)) * 1024) / earlier.finished) * 10) / 10 : NaN,
    ]),
  );
}
