/**
 * The management API's instance queries (getStatusBy / getStatusAll / purge by filter), answered
 * from the hub state in memory, in instance-id order (the order the Instances table pages in).
 * The continuation token is the last id of the page, so pages stay stable while instances change.
 */
import type { HubState } from './hub-state.js';
import type { InstanceRecord, RuntimeStatus } from './instance-record.js';

export interface InstanceFilter {
  createdFrom?: string;
  createdTo?: string;
  statuses?: RuntimeStatus[];
  /** `instanceIdPrefix`: the Azure Storage provider pages a partition-key range from it. */
  idPrefix?: string;
}

export function matches(r: InstanceRecord, f: InstanceFilter): boolean {
  if (f.createdFrom && r.createdTime < f.createdFrom) return false;
  if (f.createdTo && r.createdTime > f.createdTo) return false;
  if (f.statuses?.length && !f.statuses.includes(r.runtimeStatus)) return false;
  if (f.idPrefix !== undefined && !r.instanceId.startsWith(f.idPrefix)) return false;
  return true;
}

export function queryInstances(
  state: HubState,
  filter: InstanceFilter,
  continuation: string | undefined,
  pageSize: number,
): { records: InstanceRecord[]; continuation?: string } {
  const after = continuation ? Buffer.from(continuation, 'base64url').toString('utf8') : undefined;
  const found: InstanceRecord[] = [];
  for (const [id, e] of state.instances) {
    if (after !== undefined && id <= after) continue;
    if (matches(e.record, filter)) found.push(e.record);
  }
  found.sort((a, b) => (a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0));
  const records = found.slice(0, pageSize);
  const last = records[records.length - 1];
  return found.length > pageSize && last
    ? { records, continuation: Buffer.from(last.instanceId, 'utf8').toString('base64url') }
    : { records };
}
