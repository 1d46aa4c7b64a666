import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const CLI = path.join(__dirname, '../../dist/src/host/cli.js');

export interface HostProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

/**
 * The host's CLI as a real child process (built by `npm test`'s build step), for what only a
 * separate process shows: a crash (SIGKILL) and a graceful stop on SIGTERM.
 */
export async function startHostProcess(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  cwd?: string,
  nodeArgs: readonly string[] = [],
): Promise<HostProcess> {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first (npm test does).`);
  const child = spawn(process.execPath, [...nodeArgs, CLI, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd,
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Nobody gets a handle on a host that never listened: it must not outlive the failure.
      child.kill('SIGKILL');
      reject(new Error(`host did not start:\n${out}`));
    }, 30_000);
    const check = (): void => {
      const m = /Host listening on (http:\/\/[\d.]+:\d+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout?.on('data', check);
    void exited.then((code) => reject(new Error(`host exited with ${code}:\n${out}`)));
  });
  return { child, url, output: () => out, exited };
}
