/**
 * Table rows of the `{hub}Instances` / `{hub}History` view, in the Azure Storage provider's own
 * shape (DurableTask.AzureStorage `AzureTableTrackingStore` + `TableEntityConverter`), so Storage
 * Explorer and Durable Functions Monitor read our task hub as they read one on Azure:
 * - History: PartitionKey = escaped instance id, RowKey = the event's sequence number in its
 *   execution as 16 upper-case hex digits (`X16`), `EventType` by name, one column per event field,
 *   the event's time as `_Timestamp` (Timestamp is reserved), `ExecutionId` on every row, and a
 *   `sentinel` row per partition that names the current execution.
 * - Instances: RowKey "", the status columns with DateTime-typed times, `Generation`, `TaskHubName`.
 * - A string property over 60 KB (UTF-16, the provider's threshold under the 64 KB limit) goes to a
 *   gzip blob in `{hub}-largemessages` named as the provider names it: history rows keep `""` plus a
 *   `{Property}BlobName` column, the Instances row the blob's URL. Without a container the value is
 *   not written and a `{Property}Omitted` column says so (never silently truncated).
 * Pure: building rows does no I/O; blobs to upload come back with the row.
 */
import { createHash } from 'node:crypto';
import type { TableEntity } from '@azure/data-tables';
import { EventType, type HistoryEvent } from '../history.js';
import type { InstanceStatus, RuntimeStatus } from '../instance-record.js';
import { escapePartitionKey } from './partition-key.js';

export type { RuntimeStatus };

export interface InstanceSnapshot extends InstanceStatus {
  completedTime?: string;
  /** Optional; the provider's defaults ("" and 0) when the engine does not track them. */
  version?: string;
  generation?: number;
}

export type Row = TableEntity<Record<string, unknown>>;
/** A value to upload, gzip-compressed, to the large-message container under `blobName`. */
export interface LargeValue {
  blobName: string;
  content: string;
}
export interface BuiltRow {
  entity: Row;
  blobs: LargeValue[];
  omitted: string[];
}

export interface RowOptions {
  hubName: string;
  /** URL of the `{hub}-largemessages` container; absent → oversized values are omitted, with a column saying so. */
  largeMessagesUrl?: string;
}

export const SENTINEL_ROW_KEY = 'sentinel';
const MAX_PROPERTY_BYTES = 60 * 1024;
const VARIABLE_SIZE = ['Name', 'Input', 'Result', 'Output', 'Reason', 'Details', 'Correlation', 'FailureDetails', 'Tags'];

export function largeMessagesContainerName(hubName: string): string {
  return `${hubName.toLowerCase()}-largemessages`;
}

export function rowKey(sequence: number): string {
  return sequence.toString(16).toUpperCase().padStart(16, '0');
}

type Kind = 'string' | 'int' | 'bool' | 'datetime' | 'json';
type Field = readonly [name: string, kind: Kind, fallback?: unknown];

/** The [DataMember]s of each DurableTask.Core event class, in declaration order. */
const FIELDS: Partial<Record<EventType, readonly Field[]>> = {
  [EventType.ExecutionStarted]: [
    ['ParentInstance', 'json'],
    ['Name', 'string'],
    ['Version', 'string'],
    ['Input', 'string'],
    ['Tags', 'json'],
    ['Correlation', 'string'],
    ['ParentTraceContext', 'json'],
    ['ScheduledStartTime', 'datetime'],
    ['Generation', 'int'],
    ['GenerateNewTrace', 'bool', false],
  ],
  [EventType.ExecutionCompleted]: [
    ['OrchestrationStatus', 'string', 'Completed'],
    ['Result', 'string'],
    ['FailureDetails', 'json'],
  ],
  // Not a provider event class (the provider records failure as ExecutionCompleted/Failed); our engine emits it, so keep what it carries.
  [EventType.ExecutionFailed]: [
    ['OrchestrationStatus', 'string', 'Failed'],
    ['Result', 'string'],
    ['Reason', 'string'],
    ['Details', 'string'],
    ['FailureDetails', 'json'],
  ],
  [EventType.ExecutionTerminated]: [['Input', 'string']],
  [EventType.TaskScheduled]: [
    ['Name', 'string'],
    ['Version', 'string'],
    ['Input', 'string'],
    ['ParentTraceContext', 'json'],
    ['Tags', 'json'],
  ],
  [EventType.TaskCompleted]: [
    ['TaskScheduledId', 'int'],
    ['Result', 'string'],
  ],
  [EventType.TaskFailed]: [
    ['TaskScheduledId', 'int'],
    ['Reason', 'string'],
    ['Details', 'string'],
    ['FailureDetails', 'json'],
  ],
  [EventType.TimerCreated]: [['FireAt', 'datetime']],
  [EventType.TimerFired]: [
    ['TimerId', 'int'],
    ['FireAt', 'datetime'],
  ],
  [EventType.EventRaised]: [
    ['Name', 'string'],
    ['Input', 'string'],
    ['ParentTraceContext', 'json'],
  ],
  [EventType.ContinueAsNew]: [
    ['OrchestrationStatus', 'string', 'ContinuedAsNew'],
    ['Result', 'string'],
    ['FailureDetails', 'json'],
  ],
  [EventType.ExecutionSuspended]: [['Reason', 'string']],
  [EventType.ExecutionResumed]: [['Reason', 'string']],
};

function dateTime(value: unknown): { value: string; type: 'DateTime' } | undefined {
  const ms = typeof value === 'string' || value instanceof Date ? new Date(value).getTime() : NaN;
  return Number.isNaN(ms) ? undefined : { value: new Date(ms).toISOString(), type: 'DateTime' };
}

function column(value: unknown, kind: Kind): unknown {
  if (value === undefined || value === null) return undefined;
  switch (kind) {
    case 'string':
      return typeof value === 'string' ? value : JSON.stringify(value);
    case 'json':
      return typeof value === 'string' ? value : JSON.stringify(value);
    case 'int':
      return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
    case 'bool':
      return typeof value === 'boolean' ? value : undefined;
    case 'datetime':
      return dateTime(value);
  }
}

export function historyRow(instanceId: string, executionId: string, sequence: number, e: HistoryEvent, o: RowOptions): BuiltRow {
  const typeName = EventType[e.EventType] ?? `EventType${e.EventType}`;
  const entity: Row = { partitionKey: escapePartitionKey(instanceId), rowKey: rowKey(sequence), EventType: typeName };
  if (e.EventType === EventType.ExecutionStarted)
    entity.OrchestrationInstance = JSON.stringify({ InstanceId: instanceId, ExecutionId: executionId });
  for (const [name, kind, fallback] of FIELDS[e.EventType] ?? []) {
    const value = column(e[name] ?? fallback, kind);
    if (value !== undefined) entity[name] = value;
  }
  entity.EventId = column(e.EventId, 'int') ?? -1;
  entity.IsPlayed = e.IsPlayed === true;
  const at = dateTime(e.Timestamp);
  if (at) entity._Timestamp = at;
  entity.ExecutionId = executionId;
  return moveLargeValues(entity, typeName, executionId, o, 'blobName');
}

/** The provider's per-partition marker: which execution the rows belong to, and that the checkpoint finished. */
export function sentinelRow(instanceId: string, executionId: string, complete: boolean, now = new Date()): Row {
  const row: Row = {
    partitionKey: escapePartitionKey(instanceId),
    rowKey: SENTINEL_ROW_KEY,
    ExecutionId: executionId,
    IsCheckpointComplete: complete,
  };
  if (complete) row.CheckpointCompletedTimestamp = { value: now.toISOString(), type: 'DateTime' };
  return row;
}

export function instanceRow(s: InstanceSnapshot, o: RowOptions): BuiltRow {
  const entity: Row = {
    partitionKey: escapePartitionKey(s.instanceId),
    rowKey: '',
    Name: s.name,
    Version: s.version ?? '',
    ExecutionId: s.executionId,
    RuntimeStatus: s.runtimeStatus,
    Generation: s.generation ?? 0,
    TaskHubName: o.hubName,
  };
  if (s.input !== null) entity.Input = s.input;
  if (s.output !== null) entity.Output = s.output;
  // The provider writes a missing custom status as the string "null" once the orchestrator ran (durabletask#477).
  if (s.runtimeStatus !== 'Pending') entity.CustomStatus = s.customStatus ?? 'null';
  for (const [name, value] of [
    ['CreatedTime', s.createdTime],
    ['LastUpdatedTime', s.lastUpdatedTime],
    ['CompletedTime', s.completedTime],
  ] as const) {
    const at = dateTime(value);
    if (at) entity[name] = at;
  }
  return moveLargeValues(entity, '', s.executionId, o, 'url');
}

/**
 * Blob names as the provider forms them: `{pk}/history-{RowKey}-{EventType}-{8 hex}-{Property}.json.gz`
 * (for the Instances row the event type is the property's own name). The provider's 8 hex digits are
 * random against split-brain writers; there is one writer here, so they are a hash of the execution,
 * which makes a retried write overwrite its own blob instead of leaving a stray one.
 */
function moveLargeValues(entity: Row, eventType: string, executionId: string, o: RowOptions, reference: 'blobName' | 'url'): BuiltRow {
  const blobs: LargeValue[] = [];
  const omitted: string[] = [];
  for (const property of VARIABLE_SIZE) {
    const value = entity[property];
    if (typeof value !== 'string' || value.length * 2 <= MAX_PROPERTY_BYTES) continue;
    if (o.largeMessagesUrl === undefined) {
      entity[property] = '';
      entity[`${property}Omitted`] = `${Buffer.byteLength(value)} bytes not written to the view: no large-message container configured`;
      omitted.push(property);
      continue;
    }
    const hash = createHash('sha256').update(`${executionId}|${entity.rowKey}|${property}`).digest('hex').slice(0, 8).toUpperCase();
    const blobName = `${entity.partitionKey}/history-${entity.rowKey}-${eventType || property}-${hash}-${property}.json.gz`;
    blobs.push({ blobName, content: value });
    if (reference === 'url') entity[property] = `${o.largeMessagesUrl}/${blobName.split('/').map(encodeURIComponent).join('/')}`;
    else {
      entity[property] = '';
      entity[`${property}BlobName`] = blobName;
    }
  }
  return { entity, blobs, omitted };
}

/** Rough size the provider uses to keep a batch under the 4 MB transaction limit. */
export function estimatedBytes(entity: Row): number {
  let bytes = 1024;
  for (const property of VARIABLE_SIZE) {
    const value = entity[property];
    if (typeof value === 'string') bytes += value.length * 2;
  }
  return bytes;
}

/**
 * History rows split into transactions as the provider splits them: at most 99 rows (the sentinel
 * makes 100, the batch limit) or about 3 MB each, the sentinel in every batch and marked complete
 * only in the last, so a reader never takes a half-written history for a finished checkpoint.
 */
export function historyBatches(instanceId: string, executionId: string, rows: Row[], now = new Date()): Row[][] {
  const batches: Row[][] = [];
  let current: Row[] = [];
  let bytes = 0;
  for (const row of rows) {
    current.push(row);
    bytes += estimatedBytes(row);
    if (current.length === 99 || bytes > 3 * 1024 * 1024) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
  }
  if (current.length > 0 || batches.length === 0) batches.push(current);
  return batches.map((batch, i) => [...batch, sentinelRow(instanceId, executionId, i === batches.length - 1, now)]);
}
