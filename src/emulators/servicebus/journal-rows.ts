// How the broker's state is spelled in the journal: one row per message (in a store, or waiting
// for its scheduled time), one per remembered message id (duplicate detection), one per sequence
// counter. Keys start with a kind and the owner's lower-cased path, which never holds '|'.
import { message as rheaMessage } from 'rhea';
import { type AmqpMessage, decodeMessage } from './amqp-message.js';
import type { Row } from './journal.js';

export type RowKind = 'message' | 'scheduled' | 'seen' | 'counter';

const prefixes: Readonly<Record<RowKind, string>> = { message: 'm', scheduled: 's', seen: 'h', counter: 'n' };
const kinds = new Map(Object.entries(prefixes).map(([kind, prefix]) => [prefix, kind as RowKind]));

export function rowKey(kind: RowKind, ownerPath: string, id: string | number = ''): string {
  return `${prefixes[kind]}|${ownerPath.toLowerCase()}|${id}`;
}

export interface ParsedKey {
  readonly kind: RowKind;
  readonly owner: string;
  readonly id: string;
}

export function parseRowKey(key: string): ParsedKey {
  const [prefix = '', owner = '', ...rest] = key.split('|');
  const kind = kinds.get(prefix);
  if (!kind) throw new Error(`journal: unknown row '${key}'`);
  return { kind, owner, id: rest.join('|') };
}

/** A stored message: the AMQP encoding the sender's SDK produced, byte for byte, in base64. */
export function encodeMessage(message: AmqpMessage): Buffer {
  return rheaMessage.encode(message as Parameters<typeof rheaMessage.encode>[0]);
}

export function messageOfRow(row: Row): AmqpMessage {
  return decodeMessage(Buffer.from(String(row.m), 'base64'));
}

export function numberOfRow(row: Row, field: string): number {
  const value = row[field];
  // Infinity does not survive JSON; it is stored as null.
  if (value === null) return Infinity;
  if (typeof value !== 'number') throw new Error(`journal: row field '${field}' is not a number`);
  return value;
}

export function storedNumber(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}
