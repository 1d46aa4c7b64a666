import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningHost } from '../../src/host/host.js';
import type { RunningAzurite } from '../../src/host/storage/azurite.js';
import { type CapturedLog, captureLog, eventually, startTestAzurite, startTestHost } from '../support/stack.js';

const appDir = path.join(__dirname, '../fixtures/timer-app');

/** What the fixture app's timer functions record (see test/fixtures/timer-app/functions). */
interface TimerCall {
  fn: string;
  at: number;
  timer: {
    isPastDue: boolean;
    schedule: { adjustForDST: boolean };
    scheduleStatus: { last: string; next: string; lastUpdated: string } | null;
  };
}
const fixture = globalThis as unknown as { __timerCalls?: TimerCall[] };
const calls = (fn: string, since = 0): TimerCall[] => (fixture.__timerCalls ?? []).filter((c) => c.fn === fn && c.at >= since);
const waitForCalls = (fn: string, count: number, since = 0, timeoutMs = 15_000): Promise<TimerCall[]> =>
  eventually(() => (calls(fn, since).length >= count ? calls(fn, since) : undefined), timeoutMs, `${count} call(s) of ${fn}`);

let azurite: RunningAzurite;
let blobs: BlobServiceClient;
let host: RunningHost | undefined;
let log: CapturedLog;

beforeAll(async () => {
  process.env.TIMER_FIXTURE_SCHEDULE = '00:00:01';
  process.env.TIMER_FIXTURE_HUB = 'TimerFixtureHub';
  azurite = await startTestAzurite();
  blobs = BlobServiceClient.fromConnectionString(azurite.connectionString);
});
afterAll(async () => {
  await azurite?.stop();
  delete process.env.TIMER_FIXTURE_SCHEDULE;
  delete process.env.TIMER_FIXTURE_HUB;
});
beforeEach(async () => {
  fixture.__timerCalls = [];
  log = captureLog();
  host = await startTestHost(azurite, { appDir, log: log.log });
});
afterEach(async () => {
  await host?.stop();
  host = undefined;
});

/** The status blob the real host's StorageScheduleMonitor keeps for a timer. */
async function readStatus(fn: string): Promise<Record<string, string> | undefined> {
  const hosts = blobs.getContainerClient('azure-webjobs-hosts');
  for await (const item of hosts.listBlobsFlat({ prefix: 'timers/' })) {
    if (item.name.endsWith(`/Host.Functions.${fn}/status`))
      return JSON.parse((await hosts.getBlobClient(item.name).downloadToBuffer()).toString()) as Record<string, string>;
  }
  return undefined;
}

describe('timer trigger', () => {
  it('fires on its NCRONTAB schedule with the Timer object the Node worker hands over', async () => {
    const [first, second] = await waitForCalls('everyTwoSeconds', 2);
    expect(first?.timer).toEqual({
      isPastDue: false,
      schedule: { adjustForDST: true },
      scheduleStatus: {
        last: expect.any(String) as unknown,
        next: expect.any(String) as unknown,
        lastUpdated: expect.any(String) as unknown,
      },
    });
    const last = new Date(first!.timer.scheduleStatus!.last);
    // "*/2 * * * * *": occurrences on even whole seconds, two seconds apart, each run's Next the following run's Last.
    expect(last.getUTCMilliseconds()).toBe(0);
    expect(last.getUTCSeconds() % 2).toBe(0);
    expect(Date.parse(first!.timer.scheduleStatus!.next) - last.getTime()).toBe(2000);
    expect(second?.timer.scheduleStatus?.last).toBe(first?.timer.scheduleStatus?.next);
    // Timer functions get no triggerMetadata from the worker (fromRpcTriggerMetadata skips timers).
    expect(Object.keys((first as unknown as { triggerMetadata: object }).triggerMetadata)).toEqual([]);
  });

  it("keeps the schedule status in azure-webjobs-hosts/timers/{hostId}/{timer}/status, in the real host's shape", async () => {
    const [call] = await waitForCalls('everyTwoSeconds', 1);
    const status = await eventually(async () => {
      const s = await readStatus('everyTwoSeconds');
      return s && Date.parse(s.Last ?? '') >= Date.parse(call!.timer.scheduleStatus!.last) ? s : undefined;
    });
    expect(Object.keys(status).sort()).toEqual(['Last', 'LastUpdated', 'Next']);
    expect(Date.parse(status.Next!) - Date.parse(status.Last!)).toBe(2000);
  });

  it('runs a runOnStartup timer at start, not past due, with its next yearly occurrence', async () => {
    const [call] = await waitForCalls('onStartup', 1);
    expect(call?.timer.isPastDue).toBe(false);
    expect(call?.timer.scheduleStatus?.next).toBe(`${new Date().getUTCFullYear() + 1}-01-01T00:00:00.000Z`);
  });

  it('reads a %Setting% TimeSpan schedule; under a minute useMonitor is off, so no status is handed over', async () => {
    const [first, second] = await waitForCalls('fromSetting', 2);
    expect(first?.timer).toEqual({ isPastDue: false, schedule: { adjustForDST: false }, scheduleStatus: null });
    expect(second).toBeDefined();
    expect(await readStatus('fromSetting')).toBeUndefined();
  });

  it('keeps firing after a failed invocation, logging the failure (timers are not retried)', async () => {
    await waitForCalls('alwaysFails', 2);
    expect(
      log.lines.some((l) => l.level === 'error' && /alwaysFails \(timer\) failed: timer function failed on purpose/.test(l.message)),
    ).toBe(true);
  });

  it('marks the first run after a restart that slept through an occurrence isPastDue, with the missed occurrence as Last', async () => {
    await waitForCalls('everyTwoSeconds', 1);
    await host!.stop();
    host = undefined;
    const stored = await readStatus('everyTwoSeconds');
    expect(stored?.Next).toBeDefined();
    // Stay down until the recorded next occurrence has passed.
    await sleep(Math.max(0, Date.parse(stored!.Next!) - Date.now()) + 1_200);
    const since = Date.now();
    host = await startTestHost(azurite, { appDir, log: log.log });
    const [pastDue] = await waitForCalls('everyTwoSeconds', 1, since);
    expect(pastDue?.timer.isPastDue).toBe(true);
    expect(pastDue?.timer.scheduleStatus?.last).toBe(new Date(stored!.Next!).toISOString());
    const [, onTime] = await waitForCalls('everyTwoSeconds', 2, since);
    expect(onTime?.timer.isPastDue).toBe(false);
  });

  it('runs a timer function once through POST /admin/functions/{name}, answering 202', async () => {
    await waitForCalls('onStartup', 1);
    const res = await fetch(`${host!.url}/admin/functions/onStartup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"input":""}',
    });
    expect(res.status).toBe(202);
    const [, adminRun] = await waitForCalls('onStartup', 2);
    expect(adminRun?.timer.isPastDue).toBe(false);
  });

  it('fires on one host only: a second host over the same storage waits for the lock and takes over when the first stops', async () => {
    const secondLog = captureLog();
    // A second instance of the same app (the timer lock is the app's, by host id). It gets a task
    // hub of its own: the local Durable engine owns a hub exclusively, so a second host on the
    // same hub would wait for the hub lease before starting anything, timers included.
    process.env.TIMER_FIXTURE_HUB = 'TimerFixtureHubTwo';
    const second = await startTestHost(azurite, { appDir, log: secondLog.log }).finally(() => {
      process.env.TIMER_FIXTURE_HUB = 'TimerFixtureHub';
    });
    try {
      const since = Date.now();
      await waitForCalls('everyTwoSeconds', 2, since);
      const executions = (l: CapturedLog): number => l.lines.filter((x) => x.message.startsWith("Executing 'everyTwoSeconds'")).length;
      expect(executions(secondLog)).toBe(0);
      await host!.stop();
      host = undefined;
      await eventually(() => (executions(secondLog) > 0 ? true : undefined), 20_000, 'the second host to fire the timer');
    } finally {
      await second.stop();
    }
  });

  it("names WEBSITE_TIME_ZONE as not applied (schedules run in UTC, Azure's default) rather than ignoring it", async () => {
    await host!.stop();
    process.env.WEBSITE_TIME_ZONE = 'W. Europe Standard Time';
    try {
      host = await startTestHost(azurite, { appDir, log: log.log });
      expect(host.notSupported).toContain('WEBSITE_TIME_ZONE (W. Europe Standard Time): not applied; timer schedules run in UTC here.');
    } finally {
      delete process.env.WEBSITE_TIME_ZONE;
    }
  });
});
