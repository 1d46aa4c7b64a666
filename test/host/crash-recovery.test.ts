import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningAzurite } from '../../src/host/storage/azurite.js';
import { CLI } from '../support/host-process.js';
import { eventually, startTestAzurite } from '../support/stack.js';

/**
 * The commit log against SIGKILL: real host processes (the CLI) over real Azurite, killed with
 * SIGKILL at the worst moments, then started again on the same data folder.
 */
const appDir = path.join(__dirname, '../fixtures/durable-app');
let azurite: RunningAzurite;
const children: ChildProcess[] = [];
const folders: string[] = [];

beforeAll(async () => {
  azurite = await startTestAzurite();
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await azurite?.stop();
  for (const f of folders) fs.rmSync(f, { recursive: true, force: true });
});

interface Proc {
  child: ChildProcess;
  /** Resolves with the base URL once the host listens. */
  listening: Promise<string>;
  exited: Promise<void>;
  output: () => string;
}

/** The host CLI as a child process; unlike test/support's helper, callable before it listens (the lease wait). */
function spawnHost(dataDir: string, env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(
    process.execPath,
    [CLI, appDir, '--port', '0', '--storage', azurite.connectionString, '--data-dir', dataDir, '--lease-ms', '1000'],
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  let out = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const listening = new Promise<string>((resolve, reject) => {
    const onData = (c: Buffer): void => {
      out += c.toString();
      const m = /Host listening on (http:\/\/[\d.]+:\d+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
    void exited.then(() => reject(new Error(`host exited:\n${out}`)));
  });
  listening.catch(() => undefined);
  return { child, listening, exited, output: () => out };
}

/** A graceful stop (SIGTERM): the host finishes, checkpoints and releases the hub lease. */
async function term(p: Proc): Promise<void> {
  p.child.kill('SIGTERM');
  await p.exited;
}

async function kill9(p: Proc): Promise<void> {
  p.child.kill('SIGKILL');
  await p.exited;
}

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'durable-crash-'));
  folders.push(dir);
  return dir;
}

const api = (base: string, p: string) => `${base}/runtime/webhooks/durabletask/${p}`;

interface Status {
  runtimeStatus: string;
  output: unknown;
  historyEvents?: { EventType: string }[];
}

async function status(base: string, id: string, history = false): Promise<Status> {
  const res = await fetch(api(base, `instances/${id}${history ? '?showHistory=true&showHistoryOutput=true' : ''}`));
  return (await res.json()) as Status;
}

async function start(base: string, name: string, id: string, input?: unknown): Promise<void> {
  const res = await fetch(api(base, `orchestrators/${name}/${id}`), {
    method: 'POST',
    body: input === undefined ? '' : JSON.stringify(input),
  });
  expect(res.status).toBe(202);
}

async function raise(base: string, id: string, value: unknown): Promise<number> {
  return (
    await fetch(api(base, `instances/${id}/raiseEvent/go`), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(value),
    })
  ).status;
}

async function all<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

async function countRunning(base: string, prefix: string): Promise<number> {
  let n = 0;
  let token: string | null = null;
  do {
    const res: Response = await fetch(api(base, 'instances/?runtimeStatus=Running&top=1000'), {
      headers: token ? { 'x-ms-continuation-token': token } : {},
    });
    n += ((await res.json()) as { instanceId: string }[]).filter((s) => s.instanceId.startsWith(prefix)).length;
    token = res.headers.get('x-ms-continuation-token');
  } while (token);
  return n;
}

/** Instance ids whose raised event is in the data folder's log (read straight from the segments). */
function writtenRaises(dir: string): string[] {
  const ids: string[] = [];
  for (const f of fs.readdirSync(dir).filter((n) => n.startsWith('log-'))) {
    for (const line of fs.readFileSync(path.join(dir, f), 'utf8').split('\n')) {
      if (!line) continue;
      let r: { t?: string; message?: { message?: { instanceId: string; event?: { EventType: number } } } };
      try {
        r = JSON.parse(line) as typeof r;
      } catch {
        continue;
      }
      const m = r.message?.message;
      if (r.t === 'message' && m?.event?.EventType === EVENT_RAISED) ids.push(m.instanceId);
    }
  }
  return ids;
}

const count = (s: Status, type: string) => (s.historyEvents ?? []).filter((e) => e.EventType === type).length;
const EVENT_RAISED = 15;

describe('SIGKILL and the commit log', () => {
  it('200 instances waiting for events and 50 activities in flight survive SIGKILL; every event and activity result is applied exactly once', async () => {
    const dir = tempDir();
    const first = spawnHost(dir);
    const base1 = await first.listening;
    const waiting = Array.from({ length: 200 }, (_, i) => `wait-${i}`);
    const working = Array.from({ length: 50 }, (_, i) => `work-${i}`);
    await all(waiting, 25, (id) => start(base1, 'waitEvent', id));
    // Long enough that every activity is still running when the host dies.
    await all(working, 25, (id) => start(base1, 'slowWork', id, 6_000));
    await eventually(
      async () => ((await countRunning(base1, 'wait-')) === 200 && (await countRunning(base1, 'work-')) === 50 ? true : undefined),
      30_000,
      'all 250 to run',
    );
    await kill9(first);

    const second = spawnHost(dir);
    const base2 = await second.listening;
    await all(waiting, 25, async (id) => {
      expect(await raise(base2, id, id)).toBe(202);
    });
    await eventually(
      async () => ((await countRunning(base2, 'wait-')) + (await countRunning(base2, 'work-')) === 0 ? true : undefined),
      40_000,
      'all 250 to finish',
    );
    for (const id of waiting) {
      const s = await status(base2, id, true);
      expect(s.runtimeStatus).toBe('Completed');
      expect(s.output).toEqual({ got: id });
      expect(count(s, 'EventRaised')).toBe(1);
    }
    for (const id of working) {
      const s = await status(base2, id, true);
      expect(s.runtimeStatus).toBe('Completed');
      expect(s.output).toBe('slept 6000');
      // Scheduled once and answered once: the status folds the one TaskScheduled into its TaskCompleted.
      expect(count(s, 'TaskScheduled')).toBe(0);
      expect(count(s, 'TaskCompleted')).toBe(1);
    }
    await term(second);
  }, 120_000);

  it('SIGKILL between a durable write and its acknowledgement: what was written is applied once, nothing acknowledged is lost', async () => {
    const dir = tempDir();
    const ids = Array.from({ length: 20 }, (_, i) => `window-${i}`);
    const slow = spawnHost(dir, { DURABLE_HOST_TEST_COMMIT_DELAY_MS: '1500' });
    const base1 = await slow.listening;
    await Promise.all(ids.map((id) => start(base1, 'waitEvent', id)));
    await eventually(async () => ((await countRunning(base1, 'window-')) === 20 ? true : undefined), 30_000, 'all 20 to run');
    // Every raise is written and fsynced at once, then held 1.5 s before its 202: kill inside that window.
    const acknowledged: string[] = [];
    const raises = ids.map((id) =>
      raise(base1, id, `first ${id}`).then(
        (code) => void (code === 202 && acknowledged.push(id)),
        () => undefined,
      ),
    );
    await new Promise((r) => setTimeout(r, 700));
    await kill9(slow);
    await Promise.all(raises);

    // Which raises reached the disk before the kill: exactly those must be applied after the restart.
    const survived = writtenRaises(dir);
    for (const id of acknowledged) expect(survived).toContain(id);
    // The kill landed after a write: events no caller ever heard were accepted are in the log.
    expect(survived.length).toBeGreaterThan(0);

    const second = spawnHost(dir);
    const base2 = await second.listening;
    for (const id of ids) {
      if (survived.includes(id)) continue;
      expect((await status(base2, id)).runtimeStatus).toBe('Running');
      expect(await raise(base2, id, `second ${id}`)).toBe(202);
    }
    for (const id of ids) {
      const s = await eventually(
        async () => {
          const st = await status(base2, id, true);
          return st.runtimeStatus === 'Completed' ? st : undefined;
        },
        20_000,
        `${id} to complete`,
      );
      expect(s.output).toEqual({ got: `${survived.includes(id) ? 'first' : 'second'} ${id}` });
      expect(count(s, 'EventRaised')).toBe(1);
    }
    await term(second);
  }, 120_000);

  it('a second host on the same task hub waits for the lease, serving nothing, and takes over when the first stops', async () => {
    const dir = tempDir();
    const first = spawnHost(dir);
    const base1 = await first.listening;
    await start(base1, 'waitEvent', 'handed-over');
    await eventually(async () => ((await status(base1, 'handed-over')).runtimeStatus === 'Running' ? true : undefined));

    const second = spawnHost(dir);
    let listening = false;
    void second.listening.then(() => (listening = true));
    // However long a loaded machine takes to start it, once it says it waits it must not be serving.
    await eventually(() => (/owned by another host/.test(second.output()) ? true : undefined), 30_000, 'the second host to wait');
    expect(listening).toBe(false);
    // The owner goes on serving meanwhile.
    expect((await status(base1, 'handed-over')).runtimeStatus).toBe('Running');

    await term(first);
    const base2 = await second.listening;
    expect(await raise(base2, 'handed-over', 'after handover')).toBe(202);
    const done = await eventually(async () => {
      const s = await status(base2, 'handed-over');
      return s.runtimeStatus === 'Completed' ? s : undefined;
    });
    expect(done.output).toEqual({ got: 'after handover' });
    await term(second);
  }, 60_000);
});
