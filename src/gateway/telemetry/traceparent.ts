// W3C Trace Context `traceparent` (https://www.w3.org/TR/trace-context/#traceparent-header): the
// one format a request's trace travels in, to the backend and back. What comes back (a reply's
// blob metadata or message property, a caller's header) is untrusted input: only the exact version
// 00 form is taken (lowercase hex, ids not all zeros); anything else is ignored, never repaired.

export interface TraceParent {
  /** 32 lowercase hex digits, not all zeros. */
  traceId: string;
  /** 16 lowercase hex digits, not all zeros. */
  spanId: string;
  /** The trace-flags byte; bit 0 is "sampled". */
  flags: number;
}

// Version 00 is the only one defined; its header has exactly these four fields, nothing after.
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ALL_ZEROS = /^0+$/;

export function parseTraceparent(value: unknown): TraceParent | undefined {
  if (typeof value !== 'string') return undefined;
  const match = TRACEPARENT.exec(value);
  if (match === null) return undefined;
  const [, traceId = '', spanId = '', flags = ''] = match;
  if (ALL_ZEROS.test(traceId) || ALL_ZEROS.test(spanId)) return undefined;
  return { traceId, spanId, flags: Number.parseInt(flags, 16) };
}

export function formatTraceparent(parent: TraceParent): string {
  return `00-${parent.traceId}-${parent.spanId}-${(parent.flags & 0xff).toString(16).padStart(2, '0')}`;
}

/** What a carrier said: a valid traceparent, one that was there but not valid, or none. */
export type CarriedTrace = { state: 'valid'; parent: TraceParent } | { state: 'ignored' } | { state: 'absent' };

/** The first of `values` that is present decides (a malformed one is not passed over for the next). */
export function carriedTrace(...values: unknown[]): CarriedTrace {
  const given = values.find((v) => v !== undefined && v !== null && v !== '');
  if (given === undefined) return { state: 'absent' };
  const parent = parseTraceparent(given);
  return parent === undefined ? { state: 'ignored' } : { state: 'valid', parent };
}
