// What the e2e tests of the set-aside-replies routes and of retention share: calling the
// operator routes, running the retention timer through the host's admin API and waiting for
// that run to finish (it answers 202 and runs in the background).
import { expect } from 'vitest';
import type { RejectedItem, RejectedList } from '../../src/gateway/rejected/rejected-item.js';
import type { GatewayStack } from '../support/gateway-stack.js';
import { eventually } from '../support/stack.js';
import { type Answer, call } from './gateway-client.js';

export type { RejectedItem as ListedReply, RejectedList as RejectedPage } from '../../src/gateway/rejected/rejected-item.js';

export async function listRejected(stack: GatewayStack, query: Record<string, string> = {}): Promise<RejectedList> {
  const answer = await call(stack, `rejected?${new URLSearchParams(query).toString()}`);
  expect(answer.status, answer.text()).toBe(200);
  expect(answer.headers.get('content-type')).toBe('application/json');
  return answer.json<RejectedList>();
}

/** Waits until the list for `requestId` holds a reply with that reason; answers it. */
export function rejectedFor(stack: GatewayStack, requestId: string, reason: string): Promise<RejectedItem> {
  return eventually(
    async () => (await listRejected(stack, { requestId })).items.find((i) => i.reason === reason),
    20_000,
    `a reply for ${requestId} set aside as ${reason}`,
  );
}

export function replay(stack: GatewayStack, name: string): Promise<Answer> {
  return call(stack, `rejected/${name}/replay`, { method: 'POST' });
}

const RUN_DONE = /retention: deleted \d+ set-aside replies|retention: purged \d+ finished requests/;

/**
 * Runs the retention timer once through `POST /admin/functions/retentionTimer` and waits for the
 * run's last log line; answers the lines the run logged.
 */
export async function runRetention(stack: GatewayStack, { rejectedToo }: { rejectedToo: boolean }): Promise<string[]> {
  const before = stack.log.lines.length;
  const response = await fetch(`${stack.url}/admin/functions/retentionTimer`, { method: 'POST', body: '{}' });
  expect(response.status).toBe(202);
  const last = rejectedToo ? /retention: deleted \d+ set-aside replies/ : /retention: purged \d+ finished requests/;
  return eventually(
    () => {
      const lines = stack.log.lines.slice(before).map((l) => l.message);
      const failed = stack.log.lines.slice(before).find((l) => /retentionTimer/.test(l.message) && l.level === 'error');
      if (failed !== undefined) throw new Error(`the retention run failed: ${failed.message}`);
      return lines.some((l) => last.test(l)) ? lines.filter((l) => RUN_DONE.test(l)) : undefined;
    },
    30_000,
    'the retention run to finish',
  );
}

/** Runs retention until request `id` is purged (finished longer than the retention): its status is 404. */
export function purged(stack: GatewayStack, id: string): Promise<true> {
  return eventually(
    async () => {
      await runRetention(stack, { rejectedToo: false });
      return (await call(stack, `status/${id}`)).status === 404 ? true : undefined;
    },
    30_000,
    `request ${id} to be purged`,
  );
}
