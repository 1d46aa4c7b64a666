// Markdown tables for stdout and docs/benchmarks.md; every gateway figure beside its ratio to the
// floor's.
import { STAGES } from './breakdown.js';
import { perFinishedKiB } from './earlier-phases.js';
import { heldLine } from './held-cpu.js';
import { OTHER_PROCESSES } from './processes.js';
import { callKind, type HoldingRow, type LatencyRow, type ThroughputRow, type TripsRow } from './scenarios.js';
import type { HostProblems } from './stack.js';
import type { StartupResult } from './startup.js';
import { ratio, round } from './stats.js';

export interface BenchResults {
  date: string;
  machine: { cpus: number; model: string; node: string; loadAverageBefore: number[]; loadAverageAfter?: number[] };
  build: string;
  options: Record<string, unknown>;
  settings: Record<string, Record<string, string | number>>;
  latency: LatencyRow[];
  throughput: ThroughputRow[];
  holding: HoldingRow[];
  trips: TripsRow[];
  /** Per channel: the host's warnings and errors during the measured phases. */
  hostProblems: Record<string, HostProblems>;
  /** Per channel: each stack process's RSS (MiB) after its last phase, just before it stopped. */
  rssAtEnd: Record<string, Record<string, number>>;
  /** The `startup` phase: restarts over a hub of finished instances. */
  startup?: StartupResult;
  skipped: string[];
  durationSeconds?: number;
}

const fmt = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : String(x));

/** `3 (HTTP 500 internal ×2, client timeout ×1)`. */
function errorsCell(o: { errors: number; errorKinds: Record<string, number> }): string {
  const kinds = Object.entries(o.errorKinds)
    .map(([k, n]) => `${k} ×${n}`)
    .join(', ');
  return kinds ? `${o.errors} (${kinds})` : String(o.errors);
}

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function latencyTable(r: BenchResults): string {
  const floorOf = (row: LatencyRow) =>
    r.latency.find((f) => f.target === 'floor' && f.clients === row.clients && f.delayMs === row.delayMs);
  return table(
    ['target', 'N', 'backend delay', 'requests', 'errors', 'p50', 'p95', 'p99', 'p50 × floor', 'p99 × floor', 'submit → response p50'],
    r.latency.map((row) => {
      const f = row.target === 'floor' ? undefined : floorOf(row);
      return [
        row.target,
        String(row.clients),
        `${row.delayMs} ms`,
        String(row.requests),
        errorsCell(row),
        fmt(row.completion.p50),
        fmt(row.completion.p95),
        fmt(row.completion.p99),
        ratio(row.completion.p50, f?.completion.p50),
        ratio(row.completion.p99, f?.completion.p99),
        fmt(row.endToEnd.p50),
      ];
    }),
  );
}

/** `host 52% (30 ms)`: share of a core, and CPU milliseconds per answered request. */
function cpuColumn(cpuPercent: Record<string, number>, requestsPerSecond: number): string {
  return Object.entries(cpuPercent)
    .map(
      ([name, pct]) =>
        `${name} ${pct}%${name === OTHER_PROCESSES || !requestsPerSecond ? '' : ` (${round((pct * 10) / requestsPerSecond)} ms)`}`,
    )
    .join(', ');
}

function throughputTable(r: BenchResults): string {
  const floorAt = (clients: number) => r.throughput.find((t) => t.target === 'floor' && t.clients === clients);
  return table(
    [
      'target',
      'clients',
      'window',
      'answered in window',
      'errors',
      'req/s',
      '× floor',
      'reply → response p50',
      'p99',
      'CPU: % of a core (ms per request)',
      'log writes / management calls per request',
      'view behind at the end / caught up after',
    ],
    r.throughput.map((t) => [
      t.target,
      String(t.clients),
      `${t.windowSeconds} s`,
      String(t.completedInWindow),
      errorsCell(t),
      fmt(t.requestsPerSecond),
      t.target === 'floor' ? '' : ratio(t.requestsPerSecond, floorAt(t.clients)?.requestsPerSecond),
      fmt(t.completion.p50),
      fmt(t.completion.p99),
      cpuColumn(t.cpuPercent, t.requestsPerSecond),
      t.calls ? `${t.calls.logWrites} / ${t.calls.managementCalls}` : '–',
      viewCell(t),
    ]),
  );
}

/** `12 of 480 instances / 0.4 s`: how far the background Instances view trailed the engine. */
function viewCell(t: ThroughputRow): string {
  if (!t.view) return '–';
  const v = t.view;
  const caught =
    v.stillBehind === undefined ? `${fmt(v.catchUpSeconds)} s` : `not within ${fmt(v.catchUpSeconds)} s (${v.stillBehind} left)`;
  return `${v.behindAtEnd} of ${v.answered} instances / ${caught}`;
}

function rssAtEndLines(r: BenchResults): string {
  return Object.entries(r.rssAtEnd)
    .map(
      ([target, rss]) =>
        `- ${target}: ${Object.entries(rss)
          .map(([name, mib]) => `${name} ${mib} MiB`)
          .join(', ')}`,
    )
    .join('\n');
}

function holdingTable(r: BenchResults): string {
  const floor = r.holding.find((h) => h.target === 'floor');
  const names = [...new Set(r.holding.flatMap((h) => h.memory.map((m) => m.name)))];
  return table(
    [
      'target',
      'clients',
      'answered correctly',
      'all blocked after (settled after)',
      'drain after release',
      'reply → response p50',
      'p99',
      ...names.map((n) => `RSS ${n}: before / blocked / peak`),
      'stack peak (MiB)',
      'CPU % of a core: clients arriving / all held (settled, below) / draining',
      'bench process peak',
    ],
    r.holding.map((h) => [
      h.target,
      String(h.clients),
      `${h.correct}/${h.clients}${h.errors ? `; errors: ${errorsCell(h)}` : ''}`,
      h.notAllBlocked ?? `${fmt(h.blockedAfterSeconds)} s${Number.isFinite(h.settledAfterSeconds) ? ` (${h.settledAfterSeconds} s)` : ''}`,
      `${fmt(h.drainSeconds)} s`,
      `${fmt(h.completion.p50)}${h.target === 'floor' ? '' : ` (${ratio(h.completion.p50, floor?.completion.p50)})`}`,
      fmt(h.completion.p99),
      ...names.map((n) => {
        const m = h.memory.find((x) => x.name === n);
        return m ? `${fmt(m.beforeMiB)} / ${fmt(m.blockedMiB)} / ${fmt(m.peakMiB)}` : '–';
      }),
      h.target === 'floor' ? '–' : fmt(h.stackPeakMiB),
      Object.entries(h.rampCpuPercent)
        .map(([name, pct]) => `${name} ${pct} / ${h.heldCpuPercent[name] ?? '–'} / ${h.drainCpuPercent[name] ?? '–'}`)
        .join(', '),
      fmt(h.benchMiB),
    ]),
  );
}

/**
 * Under the holding table: RSS per held caller per process, and, when holding ran on a fresh
 * stack, what the earlier phases' finished instances cost per instance in the first one.
 */
function holdingMemoryLines(r: BenchResults): string {
  const perProcess = (values: [string, number][], unit: string) =>
    values.map(([name, v]) => `${name} ${Number.isFinite(v) ? round(v, 1) : '–'} ${unit}`).join(', ');
  return r.holding
    .filter((h) => h.target !== 'floor')
    .map((h) => {
      const held = perProcess(
        h.memory.map((m) => [m.name, ((m.blockedMiB - m.beforeMiB) * 1024) / h.clients]),
        'KiB',
      );
      const lines = [`- ${h.target}: RSS per held caller (blocked − before, ÷ ${h.clients}): ${held}.`];
      const e = h.earlierPhases;
      if (e) {
        const fresh = Object.fromEntries(h.memory.map((m) => [m.name, m.beforeMiB]));
        const left = perProcess(Object.entries(e.leftMiB), 'MiB');
        lines.push(
          `  Held on a freshly started stack. The phases before it left ${e.finished} finished instances in the first stack (RSS ${left} when it stopped): ` +
            `per finished instance ${perProcess(Object.entries(perFinishedKiB(e, fresh)), 'KiB')} (first stack over the fresh one, both just before holding).`,
        );
      }
      return lines.join('\n');
    })
    .join('\n');
}

function breakdownTables(r: BenchResults): string {
  const targets = [...new Set(r.latency.filter((l) => l.breakdown !== undefined).map((l) => l.target))];
  return targets
    .map((target) => {
      const rows = r.latency.filter((l) => l.target === target && l.breakdown !== undefined);
      const header = [`${target}: stage (ms, p50 / p95)`, ...rows.map((l) => `N=${l.clients}, ${l.delayMs} ms`)];
      return table(
        header,
        STAGES.map((stage) => [
          stage,
          ...rows.map((l) => {
            const s = l.breakdown?.[stage];
            return s ? `${fmt(s.p50)} / ${fmt(s.p95)}` : '–';
          }),
        ]),
      );
    })
    .join('\n\n');
}

function tripsTables(r: BenchResults): string {
  return r.trips
    .map(
      (t) =>
        `**${t.target}**: ${t.totalPerRequest} storage calls per request (N = 1, ${t.requests} requests at ${t.requestsPerSecond} req/s; idle pollers ${t.idlePerSecond} calls/s subtracted). CPU: ${cpuColumn(t.cpuPercent, t.requestsPerSecond)}\n\n` +
        (t.split
          ? `Per request: ${Object.entries(t.split)
              .map(([kind, n]) => `${kind} ${n}`)
              .join(', ')}.\n\n`
          : '') +
        table(
          ['call', 'kind', 'per request'],
          t.operations.map((o) => [`\`${o.op}\``, callKind(o.op), String(o.perRequest)]),
        ),
    )
    .join('\n\n');
}

/** Start-up time per hub size (goal: under 2 s for 100 000), and Azurite's RSS after the whole run. */
function startupTable(r: BenchResults, s: StartupResult): string {
  const rows = s.rows.map((x) => [
    String(x.finished),
    String(x.checkpointMiB),
    `${x.listeningMs}${x.finished >= 100_000 ? (x.listeningMs < 2_000 ? ' ✅' : ' ❌') : ''}`,
    String(x.firstAnswerMs),
    fmt(x.recoveryMs),
    String(x.hostRssMiB),
  ]);
  const azurite = Object.entries(r.rssAtEnd)
    .map(([stack, rss]) => `${stack} stack ${fmt(rss.Azurite)} MiB`)
    .concat(`start-up phase ${s.azuriteRssMiB} MiB`)
    .join(', ');
  return [
    table(
      [
        'finished instances',
        'checkpoint (MiB)',
        'spawn → listening (ms; goal < 2000 at 100 000)',
        'spawn → first status answer (ms)',
        'of which recovery (ms)',
        'host RSS (MiB)',
      ],
      rows,
    ),
    `Azurite RSS after the whole run: ${azurite}.`,
  ].join('\n\n');
}

/** The issue's goals, for each gateway channel measured; the references are published figures. */
function goalsTable(r: BenchResults): string {
  const channels = [...new Set([...r.latency, ...r.throughput, ...r.holding].map((x) => x.target))].filter((t) => t !== 'floor');
  if (channels.length === 0) return '';
  const p50 = (t: string, n: number) => r.latency.find((l) => l.target === t && l.clients === n && l.delayMs === 0)?.completion.p50;
  const rps = (t: string, n: number) => r.throughput.find((x) => x.target === t && x.clients === n)?.requestsPerSecond;
  const held = (t: string) => r.holding.find((h) => h.target === t && h.clients >= 1000);
  const check = (value: number | undefined, ok: (v: number) => boolean, unit: string) =>
    value === undefined || !Number.isFinite(value) ? 'not measured' : `${value} ${unit} ${ok(value) ? '✅' : '❌'}`;
  const goals: Array<[string, (t: string) => string, string]> = [
    ['reply → response p50 at N = 1 ≤ 10 ms', (t) => check(p50(t, 1), (v) => v <= 10, 'ms'), 'DBOS 9 ms, Restate 16 ms'],
    ['throughput at N = 50 ≥ 300 req/s', (t) => check(rps(t, 50), (v) => v >= 300, 'req/s'), 'DBOS ~290, Restate ~200'],
    [
      'throughput holds from N = 50 to N = 200',
      (t) => {
        const [at50, at200] = [rps(t, 50), rps(t, 200)];
        if (at50 === undefined || at200 === undefined) return 'not measured';
        return `${at200} req/s at N = 200 ${at200 >= at50 * 0.9 ? '✅' : '❌'}`;
      },
      'DBOS ~227, Restate ~243 at N = 200',
    ],
    ['reply → response p50 at N = 200 ≤ 300 ms', (t) => check(p50(t, 200), (v) => v <= 300, 'ms'), ''],
    [
      '1000 blocked clients in ≤ 400 MB (stack RSS), all answered',
      (t) => {
        const h = held(t);
        if (h === undefined) return 'not measured';
        const ok = h.stackPeakMiB <= 400 && h.correct === h.clients;
        return `${h.stackPeakMiB} MiB, ${h.correct}/${h.clients} answered ${ok ? '✅' : '❌'}`;
      },
      '',
    ],
  ];
  return table(
    ['goal', ...channels, 'reference'],
    goals.map(([goal, value, ref]) => [goal, ...channels.map(value), ref]),
  );
}

export function markdown(r: BenchResults): string {
  const load = (l: number[] | undefined) => (l ? l.map((x) => x.toFixed(2)).join(', ') : '–');
  const parts = [
    `Run ${r.date} on ${r.machine.cpus} × ${r.machine.model}, Node ${r.machine.node}; load average before ${load(r.machine.loadAverageBefore)}, after ${load(r.machine.loadAverageAfter)}; ${fmt(r.durationSeconds)} s in all. Code: ${r.build}.`,
    Object.entries(r.settings)
      .map(
        ([t, s]) =>
          `- ${t}: ${Object.entries(s)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')}`,
      )
      .join('\n'),
  ];
  if (r.skipped.length) parts.push(r.skipped.map((s) => `- not measured: ${s}`).join('\n'));
  const goals = goalsTable(r);
  if (goals) parts.push('### Goals', goals);
  if (r.latency.length) parts.push('### Completion latency: reply sent → client has the whole response (ms)', latencyTable(r));
  if (r.throughput.length) parts.push('### Throughput: closed loop, replies at once', throughputTable(r));
  if (r.holding.length) {
    parts.push('### Holding: clients blocked at once, replies held until all are blocked', holdingTable(r));
    const memoryLines = holdingMemoryLines(r);
    if (memoryLines) parts.push(memoryLines);
  }
  const held = r.holding.flatMap((h) => (h.held ? [heldLine(h.target, h.held)] : []));
  if (held.length)
    parts.push(
      "While all are held: measured once every instance waits for its reply, the view shows it so, and every caller's safety poll is at its steady gap",
      held.join('\n'),
    );
  const stages = breakdownTables(r);
  if (stages) parts.push('### Where the time goes (a sample of requests per latency scenario: N clients, backend delay)', stages);
  if (r.trips.length)
    parts.push('### Calls per request: storage (host → Azurite), management API (functions → host), log writes', tripsTables(r));
  if (Object.keys(r.rssAtEnd).length) parts.push('### RSS after the last phase (each stack, just before it stopped)', rssAtEndLines(r));
  if (r.startup) parts.push('### Start-up: the host restarted over a task hub of finished instances', startupTable(r, r.startup));
  const problems = Object.entries(r.hostProblems).filter(([, p]) => p.count > 0);
  if (problems.length) {
    parts.push(
      '### Host warnings and errors',
      problems
        .map(
          ([t, p]) =>
            `**${t}**: ${p.count} lines; by kind:\n\n${problemKinds(p.byKind)}\n\nthe first:\n\n\`\`\`\n${p.first.slice(0, 5).join('\n')}\n\`\`\``,
        )
        .join('\n\n'),
    );
  }
  return parts.filter(Boolean).join('\n\n');
}

/** The ten commonest kinds of host problem line, most first (stack.ts problemKind). */
function problemKinds(byKind: Record<string, number> | undefined): string {
  const kinds = Object.entries(byKind ?? {}).sort((a, b) => b[1] - a[1]);
  const shown = kinds.slice(0, 10).map(([kind, n]) => `- ${n} × \`${kind.replaceAll('`', "'")}\``);
  if (kinds.length > 10) shown.push(`- and ${kinds.length - 10} kinds more`);
  return shown.join('\n');
}
