// The timer trigger's listener: fires a function on its NCRONTAB or TimeSpan schedule, once per
// app (a singleton lock), with isPastDue and the schedule status kept where the real host keeps them.
import { defaultUseMonitor, parseSchedule, type TimerSchedule } from './timer/timer-schedule.js';
import { type ScheduleStatus, TimerSingleton, TimerStatusStore } from './timer/timer-status.js';
import type { TriggerContext, TriggerFactory, TriggerListener } from './trigger-listener.js';

/** The real host's singleton lock period for listeners, renewed at a third of it. */
const LEASE_SECONDS = 15;
const RENEW_MS = 5_000;
/** setTimeout's ceiling; longer waits are taken in steps. */
const MAX_WAIT_MS = 2 ** 31 - 1;
/** `DateTime.MinValue`, the real host's `Last` before a timer first ran. */
const NEVER = '0001-01-01T00:00:00.000Z';

/** The `Timer` object the Node worker hands a timer function (the host's TimerInfo, camel-cased). */
export interface TimerInput {
  schedule: { adjustForDST: boolean };
  scheduleStatus: ScheduleStatus | null;
  isPastDue: boolean;
}

export const createTimerTriggerListener: TriggerFactory = (ctx) => new TimerTriggerListener(ctx);

/**
 * `timerTrigger` as the timer extension's `TimerListener` runs it: one host at a time (a blob
 * lease), invocations of one timer never overlap, a missed occurrence found in the stored status
 * at start fires at once with `isPastDue: true`, `runOnStartup` fires at start, and a failing
 * invocation is logged without stopping the schedule (the real host does not retry timers).
 */
class TimerTriggerListener implements TriggerListener {
  private readonly schedule: TimerSchedule;
  private readonly useMonitor: boolean;
  private readonly runOnStartup: boolean;
  private readonly timerName: string;
  private readonly status: TimerStatusStore;
  private readonly singleton: TimerSingleton;
  private current: ScheduleStatus | null = null;
  private state: 'new' | 'waiting' | 'running' | 'stopping' = 'new';
  private wait: NodeJS.Timeout | undefined;
  private renew: NodeJS.Timeout | undefined;
  private invocation: Promise<void> = Promise.resolve();
  /** Firings with their status writes, awaited by stop(). */
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly ctx: TriggerContext) {
    const t = ctx.fn.trigger;
    if (typeof t.schedule !== 'string' || !t.schedule.trim()) throw new Error(`Function ${ctx.fn.name}: a timerTrigger needs a schedule.`);
    this.schedule = parseSchedule(t.schedule, ctx.fn.name);
    this.useMonitor = typeof t.useMonitor === 'boolean' ? t.useMonitor : defaultUseMonitor(this.schedule);
    this.runOnStartup = t.runOnStartup === true;
    // The Functions host names an app function's timer by its full name.
    this.timerName = `Host.Functions.${ctx.fn.name}`;
    this.status = new TimerStatusStore(ctx.hostStorage, ctx.hostId, this.timerName);
    this.singleton = new TimerSingleton(ctx.hostStorage, ctx.hostId, this.timerName);
  }

  async start(): Promise<void> {
    this.state = 'waiting';
    await this.acquire();
  }

  async stop(): Promise<void> {
    this.state = 'stopping';
    clearTimeout(this.wait);
    clearInterval(this.renew);
    while (this.pending.size > 0) await Promise.all(this.pending);
    await this.invocation;
    await this.singleton.release();
  }

  /** The admin API runs a timer function once with the current status; the schedule is not moved. */
  invokeFromAdmin(): Promise<void> {
    return this.run(false, this.current, 'This function was programmatically called via the host APIs.');
  }

  /** Takes the singleton lease, or tries again later while another host holds it. */
  private async acquire(): Promise<void> {
    if (this.state !== 'waiting') return;
    let held = false;
    try {
      held = await this.singleton.tryHold(LEASE_SECONDS);
    } catch (err) {
      this.ctx.log('warn', `Function ${this.ctx.fn.name}: timer lock unavailable: ${errorMessage(err)}`);
    }
    // Stopped while the lease was being taken: let it go at once.
    if ((this.state as string) === 'stopping') {
      if (held) await this.singleton.release();
      return;
    }
    if (!held) {
      this.wait = setTimeout(() => void this.acquire(), RENEW_MS);
      return;
    }
    this.state = 'running';
    this.renew = setInterval(() => void this.keepLease(), RENEW_MS);
    await this.begin();
  }

  private async keepLease(): Promise<void> {
    if (this.state !== 'running') return;
    const held = await this.singleton.tryHold(LEASE_SECONDS).catch(() => false);
    if (held || this.state !== 'running') return;
    // Another host took over: stop firing here and wait for the lock again.
    this.ctx.log('warn', `Function ${this.ctx.fn.name}: lost the timer lock; another host runs this timer now.`);
    this.state = 'waiting';
    clearTimeout(this.wait);
    clearInterval(this.renew);
    this.wait = setTimeout(() => void this.acquire(), RENEW_MS);
  }

  private async begin(): Promise<void> {
    const now = new Date();
    const stored = this.useMonitor ? await this.status.read((m) => this.ctx.log('warn', `Function ${this.ctx.fn.name}: ${m}`)) : undefined;
    let next: Date;
    if (stored && Date.parse(stored.next) <= now.getTime()) {
      this.current = stored;
      const missed = stored.next;
      this.ctx.log('info', `Function ${this.ctx.fn.name}: timer is past due (missed ${missed}); running now.`);
      next = this.following(new Date(missed), now);
      this.track(this.fire(new Date(missed), next, true, 'Timer fired while the host was down (past due)'));
    } else {
      // A TimeSpan schedule resumes its recorded interval; a cron schedule recomputes from now.
      next = stored && this.schedule.kind === 'timespan' ? new Date(stored.next) : this.schedule.next(now);
      this.current = this.useMonitor ? { last: stored?.last ?? NEVER, next: next.toISOString(), lastUpdated: now.toISOString() } : null;
      if (this.useMonitor && !stored) await this.status.write(this.current as ScheduleStatus);
      if (this.runOnStartup) this.track(this.run(false, this.current, 'Timer fired at startup (runOnStartup)'));
    }
    this.ctx.log('info', `Function ${this.ctx.fn.name}: timer "${this.schedule.text}", next occurrence ${next.toISOString()}.`);
    this.arm(next);
  }

  private arm(at: Date): void {
    if (this.state !== 'running') return;
    const delay = at.getTime() - Date.now();
    if (delay > MAX_WAIT_MS) {
      this.wait = setTimeout(() => this.arm(at), MAX_WAIT_MS);
      return;
    }
    this.wait = setTimeout(
      () => {
        const next = this.following(at, new Date());
        this.track(this.fire(at, next, false, `Timer fired at ${new Date().toISOString()}`));
        this.arm(next);
      },
      Math.max(0, delay),
    );
  }

  /** The occurrence after `occurrence`, never in the past (a slow run skips what it missed, as the real host does). */
  private following(occurrence: Date, now: Date): Date {
    return this.schedule.next(new Date(Math.max(occurrence.getTime(), now.getTime())));
  }

  private async fire(occurrence: Date, next: Date, isPastDue: boolean, reason: string): Promise<void> {
    const status = this.useMonitor
      ? { last: occurrence.toISOString(), next: next.toISOString(), lastUpdated: new Date().toISOString() }
      : null;
    await this.run(isPastDue, status, reason);
    if (!status) return;
    this.current = status;
    await this.status
      .write(status)
      .catch((err: unknown) => this.ctx.log('warn', `Function ${this.ctx.fn.name}: timer status not saved: ${errorMessage(err)}`));
  }

  /** Invocations of one timer run one after another, as the real listener awaits each. */
  private run(isPastDue: boolean, status: ScheduleStatus | null, reason: string): Promise<void> {
    const input: TimerInput = { schedule: { adjustForDST: this.schedule.kind === 'cron' }, scheduleStatus: status, isPastDue };
    const run = this.invocation.then(async () => {
      this.ctx.log('info', `Executing '${this.ctx.fn.name}' (Reason='${reason}')`);
      try {
        await this.ctx.invoker.invoke(this.ctx.fn, input);
      } catch (err) {
        this.ctx.log('error', `Function ${this.ctx.fn.name} (timer) failed: ${errorMessage(err)}`);
      }
    });
    this.invocation = run;
    return run;
  }

  private track(work: Promise<void>): void {
    const tracked = work
      .catch((err: unknown) => this.ctx.log('error', `Function ${this.ctx.fn.name}: ${errorMessage(err)}`))
      .finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
