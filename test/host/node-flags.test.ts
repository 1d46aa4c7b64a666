// The host's V8 flags (HOST_NODE_FLAGS) are what `npm start` runs it with, and a host started the
// way package.json's `start` says has them and serves (a Node that refused one would not start).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HOST_NODE_FLAGS } from '../../src/host/node-flags.js';
import { startHostProcess } from '../support/host-process.js';
import { useTestAzurite } from '../support/stack.js';

const repoRoot = path.join(__dirname, '../..');
const appDir = path.join(__dirname, '../fixtures/durable-app');

describe('host V8 flags', () => {
  const azurite = useTestAzurite();

  it("npm start's script puts HOST_NODE_FLAGS before the CLI, and a host started so has them and serves", async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const words = (pkg.scripts.start ?? '').split(' ');
    expect(words).toEqual(['node', ...HOST_NODE_FLAGS, 'dist/src/host/cli.js']);

    const proc = await startHostProcess([appDir, '--port', '0', '--storage', azurite.connectionString], {}, repoRoot, words.slice(1, -1));
    try {
      const argv = fs.readFileSync(`/proc/${proc.child.pid}/cmdline`, 'utf8').split('\0');
      // Node flags only count before the script path.
      expect(argv.slice(1, 1 + HOST_NODE_FLAGS.length)).toEqual([...HOST_NODE_FLAGS]);
      const res = await fetch(`${proc.url}/runtime/webhooks/durabletask/instances/none-such`);
      expect(res.status).toBe(404);
    } finally {
      proc.child.kill('SIGTERM');
      expect(await proc.exited).toBe(0);
    }
  }, 60_000);
});
