// `npm run call` as a person runs it: the built script as a real child process against the real
// local stack (the demo backend answers), and once against a request the gateway refuses.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBlobs, uniqueOperation } from '../e2e/gateway-client.js';
import { type GatewayStack, startGatewayStack } from '../support/gateway-stack.js';

const SCRIPT = path.join(__dirname, '../../dist/scripts/call.js');

let stack: GatewayStack;

beforeAll(async () => {
  stack = await startGatewayStack({ backend: {} });
});
afterAll(async () => {
  await stack?.stop();
});

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run call', () => {
  it('prints the body on stdout, the status line, request id and key on stderr, and exits 0', async () => {
    const operation = uniqueOperation('cli');
    const { code, stdout, stderr } = await run([operation, '{"hello":"cli"}', '--async', '--new-key', '--base', stack.url]);
    expect(code, stderr).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ operation, echo: { hello: 'cli' } });
    expect(stderr).toMatch(/^HTTP 200 application\/json/m);
    const id = /^request id: (\S+)$/m.exec(stderr)?.[1];
    expect(/^idempotency key: \S+$/m.test(stderr)).toBe(true);
    expect(stderr).toContain(`202 accepted: request id ${id}, polling ${stack.api(`status/${id}`)}`);
    // The demo backend moves what it handled to requests-handled: the id printed is the one dispatched.
    const handled = await readBlobs(stack, 'requests-handled', { where: (m) => m.operation === operation });
    expect(handled.map((r) => r.name)).toEqual([id]);
  });

  it('a gateway problem: the problem on stderr, nothing on stdout, exit 1', async () => {
    const { code, stdout, stderr } = await run(['bad operation', '{}', '--base', stack.url]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^HTTP 400 Invalid operation name$/m);
    expect(stderr).toContain('"type": "urn:sync-over-async-gateway:problem:invalid-operation"');
  });

  it('a usage error names what is wrong and exits 2 without calling', async () => {
    const { code, stderr } = await run(['op', '{not json', '--base', stack.url]);
    expect(code).toBe(2);
    expect(stderr).toContain('not valid JSON');
  });
});
