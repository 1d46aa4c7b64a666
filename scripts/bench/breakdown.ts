// Where the time goes: for a sample of answered requests, the client's and the backend's stamps
// (same clock) beside the instance's Durable history from the host's management API (the host's
// wall clock, whole milliseconds). The history's ExecutionCompleted carries the time the
// completing episode *started* (the host stamps an episode's events with its start), so the last
// stage holds that episode's run and commit as well as the submit call's status polling.
import type { Sample } from './load.js';
import { type Summary, summarise } from './stats.js';
import type { Target } from './target.js';

export const STAGES = [
  'submit → ExecutionStarted',
  'ExecutionStarted → dispatch activity returned',
  'activity returned → backend has the request',
  'reply sent → EventRaised',
  'EventRaised → completing episode starts',
  'completing episode → client has the response',
  'reply sent → client has the response',
] as const;
export type Stage = (typeof STAGES)[number];

interface HistoryEvent {
  EventType: number | string;
  Timestamp: string;
}

// The local host sends EventType as the enum's number, the real extension as its name.
const TYPES = { ExecutionStarted: 0, ExecutionCompleted: 1, TaskCompleted: 5, EventRaised: 15 } as const;

function stamp(events: readonly HistoryEvent[], type: keyof typeof TYPES): number {
  const e = events.find((x) => x.EventType === TYPES[type] || x.EventType === type);
  return e ? Date.parse(e.Timestamp) : NaN;
}

async function history(managementBase: string, id: string): Promise<HistoryEvent[]> {
  const url = `${managementBase}/instances/${encodeURIComponent(id)}?showHistory=true&showHistoryOutput=false&showInput=false`;
  // A kept-alive connection the host has just closed fails the first try; a second one is new.
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await fetch(url);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      return ((await res.json()) as { historyEvents?: HistoryEvent[] }).historyEvents ?? [];
    } catch (error) {
      if (attempt < 3) continue;
      const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : '';
      throw new Error(`history of ${id}: ${error instanceof Error ? error.message : String(error)}${cause}`, { cause: error });
    }
  }
}

/** Stage → summary over up to `limit` answered samples (spread over the scenario). */
export async function breakdown(target: Target, samples: readonly Sample[], limit: number): Promise<Record<Stage, Summary>> {
  const base = target.managementBase;
  if (base === undefined) throw new Error(`${target.name} has no management API`);
  const answered = samples.filter((s) => s.ok);
  const step = Math.max(1, Math.floor(answered.length / limit));
  const picked = answered.filter((_, i) => i % step === 0).slice(0, limit);
  const values = Object.fromEntries(STAGES.map((s) => [s, [] as number[]])) as Record<Stage, number[]>;
  for (const s of picked) {
    const events = await history(base, s.id);
    const started = stamp(events, 'ExecutionStarted');
    const dispatched = stamp(events, 'TaskCompleted');
    const raised = stamp(events, 'EventRaised');
    const completed = stamp(events, 'ExecutionCompleted');
    const seen = target.desk.seen.get(s.id) ?? NaN;
    const sent = target.desk.replySent.get(s.id) ?? NaN;
    const add = (stage: Stage, ms: number) => values[stage].push(ms);
    add('submit → ExecutionStarted', started - s.tSubmit);
    add('ExecutionStarted → dispatch activity returned', dispatched - started);
    add('activity returned → backend has the request', seen - dispatched);
    add('reply sent → EventRaised', raised - sent);
    add('EventRaised → completing episode starts', completed - raised);
    add('completing episode → client has the response', s.tDone - completed);
    add('reply sent → client has the response', s.tDone - sent);
  }
  return Object.fromEntries(STAGES.map((s) => [s, summarise(values[s])])) as Record<Stage, Summary>;
}
