// What a test's afterAll relies on when the test timed out with callers still held (the
// 200-caller e2e tests): stopping the stack ends every part anyway, each step bounded and none
// skipped (test/support/stack.ts stopInOrder), and the processes it started are gone by PID.
import { describe, expect, it } from 'vitest';
import { submit, uniqueOperation } from '../e2e/gateway-client.js';
import { startGatewayStack } from '../support/gateway-stack.js';
import { eventually, stopInOrder } from '../support/stack.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('stopping a stack with callers still held', () => {
  it('stops the host and Azurite (gone by PID), and every held caller gets an answer or an error, none hangs', async () => {
    const stack = await startGatewayStack({ settings: { GATEWAY_SYNC_WAIT_SECONDS: '100', GATEWAY_MAX_SYNC_WAIT_SECONDS: '120' } });
    const operation = uniqueOperation('held');
    let settled = 0;
    const held = Array.from({ length: 100 }, () =>
      submit(stack, operation, '{}').then(
        () => settled++,
        () => settled++,
      ),
    );
    // All held: every one dispatched, none answered (no backend runs).
    await eventually(async () => ((await stack.blobs.getContainerClient('requests').exists()) ? true : undefined), 20_000, 'dispatches');
    await eventually(
      async () => {
        let n = 0;
        for await (const _ of stack.blobs.getContainerClient('requests').listBlobsFlat()) n++;
        return n === 100 ? true : undefined;
      },
      30_000,
      'all 100 requests to be dispatched',
    );
    expect(settled).toBe(0);
    await stack.stop();
    expect(alive(stack.azuritePid)).toBe(false);
    await Promise.all(held);
    expect(settled).toBe(100);
  }, 90_000);

  it('a step that hangs or throws does not keep the later ones from running', async () => {
    const ran: string[] = [];
    const stopping = stopInOrder(
      [
        () => new Promise<void>(() => undefined),
        () => {
          ran.push('second');
          throw new Error('second failed');
        },
        () => void ran.push('third'),
      ],
      200,
    );
    await expect(stopping).rejects.toThrow('second failed');
    expect(ran).toEqual(['second', 'third']);
  });
});
