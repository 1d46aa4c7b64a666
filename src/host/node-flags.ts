// The V8 flags the local host's own process runs with, in one place. V8 takes them only on the
// command line (Node refuses them in NODE_OPTIONS), so package.json's `start` script and every
// spawn of the host CLI (the bench) put them before the script; test/host/node-flags.test.ts
// checks that `start` says the same and that a host started that way has them.

/**
 * Full collections sooner: V8 lets the old space grow to up to ~4× what survived the last full
 * collection before the next one, and with 1000 callers held most of the host's peak RSS was
 * garbage waiting for it (live heap ~60 MiB, old space ~135 MiB). 30 % growth bounds that slack.
 * The semi-spaces stay at V8's default: shrinking them (`--max-semi-space-size=2`) cost this
 * CPU-bound process 15–25 % of throughput, since every request's garbage then reaches the old
 * space. Figures in docs/local-host.md.
 */
export const HOST_NODE_FLAGS = ['--heap-growing-percent=30'] as const;
