// Every process the bench starts goes through here, so one `stopAll` ends them all: at the end,
// on an error and on Ctrl-C. Children are node processes on loopback ports only.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { stopChild } from '../../src/host/storage/azurite.js';
import type { StackProcess } from './target.js';

/** The last lines a child printed: kept for error messages, the rest is drained and dropped. */
class Tail {
  private lines: string[] = [];
  constructor(private readonly keep = 60) {}
  add(chunk: string): void {
    this.lines.push(...chunk.split('\n').filter(Boolean));
    if (this.lines.length > this.keep) this.lines = this.lines.slice(-this.keep);
  }
  toString(): string {
    return this.lines.join('\n');
  }
}

export interface Started {
  name: string;
  pid: number;
  /** The first match of the pattern the child printed when it was ready. */
  ready: RegExpExecArray;
}

export class Processes {
  private readonly stops: Array<{ name: string; stop: () => Promise<void> }> = [];

  /** Registers something to stop at the end (e.g. Azurite, which its own module spawns). */
  track(name: string, stop: () => Promise<void>): void {
    this.stops.push({ name, stop });
  }

  /** Spawns `node script args` and resolves once its output matches `ready`. */
  async startNode(
    name: string,
    script: string,
    args: string[],
    options: {
      env?: NodeJS.ProcessEnv;
      cwd?: string;
      ready: RegExp;
      timeoutMs?: number;
      onLine?: (line: string) => void;
      /** Node flags before the script (e.g. `--require` of a bench-only counter). */
      nodeArgs?: string[];
    },
  ): Promise<Started> {
    // BENCH_CPU_PROF=<dir> in the environment writes a V8 CPU profile of each child at its exit.
    const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
    const child = spawn(process.execPath, [...profile, ...(options.nodeArgs ?? []), script, ...args], {
      env: options.env,
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stopping = false;
    this.track(name, () => {
      stopping = true;
      // A profiled child needs time to write its profile at exit.
      return stopChild(child, profile.length > 0 ? 30_000 : undefined);
    });
    const tail = new Tail();
    if (options.onLine) {
      const onLine = options.onLine;
      for (const stream of [child.stdout, child.stderr]) {
        let carry = '';
        stream.on('data', (chunk: Buffer) => {
          const lines = (carry + chunk.toString()).split('\n');
          carry = lines.pop() ?? '';
          lines.forEach(onLine);
        });
      }
    }
    const ready = await new Promise<RegExpExecArray>((resolve, reject) => {
      let seen = '';
      const timer = setTimeout(
        () => reject(new Error(`${name} not ready within ${options.timeoutMs ?? 60_000} ms:\n${tail.toString()}`)),
        options.timeoutMs ?? 60_000,
      );
      const onData = (chunk: Buffer): void => {
        const text = chunk.toString();
        tail.add(text);
        seen = (seen + text).slice(-4096);
        const m = options.ready.exec(seen);
        if (m) {
          clearTimeout(timer);
          resolve(m);
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', (c: Buffer) => tail.add(c.toString()));
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited (${code ?? signal}) before it was ready:\n${tail.toString()}`));
      });
    });
    // Keep draining: a child blocked on a full pipe would stall the run.
    child.removeAllListeners('exit');
    child.once('exit', (code, signal) => {
      if (!stopping) console.error(`bench: ${name} exited unexpectedly (${code ?? signal}):\n${tail.toString()}`);
    });
    return { name, pid: child.pid ?? -1, ready };
  }

  /** Stops everything started so far, newest first; never throws. */
  async stopAll(): Promise<void> {
    for (const { name, stop } of this.stops.splice(0).reverse()) {
      try {
        await stop();
      } catch (error) {
        console.error(`bench: stopping ${name} failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
}

export interface Memory {
  rssMiB: number;
  /** The process's peak RSS since it started (VmHWM). */
  hwmMiB: number;
}

export function memoryOf(pid: number): Memory {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) => Math.round((Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024) * 10) / 10;
    return { rssMiB: field('VmRSS'), hwmMiB: field('VmHWM') };
  } catch {
    return { rssMiB: NaN, hwmMiB: NaN };
  }
}

/** Open file descriptors (sockets included) of a process; NaN once it is gone. */
export function openFilesOf(pid: number): number {
  try {
    return fs.readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return NaN;
  }
}

/** This process's soft limit on open files (`ulimit -n`), which the children it spawns inherit. */
export function openFilesLimit(): number {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
    return m?.[1] === undefined || m[1] === 'unlimited' ? Infinity : Number(m[1]);
  } catch {
    return Infinity;
  }
}

/** CPU seconds (user + system) the process has used so far; NaN once it is gone. */
export function cpuSecondsOf(pid: number): number {
  try {
    // Fields after the parenthesised command name: utime and stime are the 12th and 13th.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

// sysconf(_SC_CLK_TCK): 100 on every Linux this runs on.
const CLOCK_TICKS = 100;

/** CPU seconds the whole machine has spent busy (all cores, everything but idle and iowait). */
export function machineBusySeconds(): number {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = line.trim().split(/\s+/).slice(1).map(Number);
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

/**
 * Share of one core each process used between `begin` and `end` (100 = a whole core), and what
 * everything else on the machine took meanwhile: on a shared machine, that is the noise.
 */
export class CpuMeter {
  private start: number[] = [];
  private t0 = 0;
  constructor(private readonly processes: readonly StackProcess[]) {}

  private read(): number[] {
    return [...this.processes.map((p) => cpuSecondsOf(p.pid)), machineBusySeconds()];
  }

  begin(): void {
    this.t0 = performance.now();
    this.start = this.read();
  }

  end(): Record<string, number> {
    const seconds = (performance.now() - this.t0) / 1000;
    const used = this.read().map((v, i) => ((v - (this.start[i] ?? NaN)) / seconds) * 100);
    const result: Record<string, number> = {};
    this.processes.forEach((p, i) => (result[p.name] = Math.round(used[i] ?? NaN)));
    const ours = used.slice(0, this.processes.length).reduce((a, b) => a + b, 0);
    // Clock-tick rounding can leave a few percent below zero on a quiet machine.
    result[OTHER_PROCESSES] = Math.max(0, Math.round((used[this.processes.length] ?? NaN) - ours));
    return result;
  }
}

export const OTHER_PROCESSES = 'other processes';
