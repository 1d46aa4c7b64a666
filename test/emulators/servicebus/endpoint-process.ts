import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

// The endpoint's CLI as a real child process (built by `npm test`'s build step), for what only a
// separate process shows: a crash (SIGKILL) with messages on disk.

export const ENDPOINT_CLI = path.join(__dirname, '../../../dist/scripts/servicebus-emulator.js');

export interface EndpointProcess {
  readonly child: ChildProcess;
  readonly connectionString: string;
  readonly output: () => string;
  /** SIGKILL, then waits for the exit: nothing gets to run a shutdown path. */
  kill(): Promise<void>;
}

export async function startEndpointProcess(args: readonly string[]): Promise<EndpointProcess> {
  if (!fs.existsSync(ENDPOINT_CLI)) throw new Error(`${ENDPOINT_CLI} is missing: run "npm run build" first (npm test does).`);
  const child = spawn(process.execPath, [ENDPOINT_CLI, '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  try {
    const connectionString = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`endpoint did not start:\n${out}`)), 30_000);
      child.stdout?.on('data', () => {
        const match = /Connection string: (\S+)/.exec(out);
        if (match?.[1]) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`endpoint exited with ${child.exitCode ?? child.signalCode}:\n${out}`));
      });
    });
    return { child, connectionString, output: () => out, kill };
  } catch (error) {
    await kill();
    throw error;
  }
}
