// Duplicate detection of a queue or topic (`RequiresDuplicateDetection`): a message whose
// `messageId` was already accepted within the history window is acknowledged to its sender and
// dropped, as the service does. The ids are journalled, so the window holds across a restart.
import type { Journal, Row } from './journal.js';
import { numberOfRow, rowKey } from './journal-rows.js';

export class DuplicateDetection {
  /** Message id → when it was first accepted; insertion order is time order. */
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly ownerPath: string,
    private readonly windowMs: number,
    private readonly journal: Journal,
  ) {}

  /** True for a duplicate; otherwise remembers the id and returns false. */
  isDuplicate(messageId: unknown): boolean {
    const now = Date.now();
    this.forgetOlderThan(now - this.windowMs);
    const id = idOf(messageId);
    if (this.seen.has(id)) return true;
    this.seen.set(id, now);
    // Rows of ids past the window are left to the next compaction rather than deleted one by one.
    this.journal.write([{ put: rowKey('seen', this.ownerPath, id), row: { t: now } }]);
    return false;
  }

  restore(id: string, row: Row): void {
    const at = numberOfRow(row, 't');
    if (at > Date.now() - this.windowMs) this.seen.set(id, at);
  }

  *rows(): Generator<[string, Row]> {
    this.forgetOlderThan(Date.now() - this.windowMs);
    for (const [id, at] of this.seen) yield [rowKey('seen', this.ownerPath, id), { t: at }];
  }

  private forgetOlderThan(cutoff: number): void {
    for (const [id, at] of this.seen) {
      if (at > cutoff) return;
      this.seen.delete(id);
    }
  }
}

/** Message ids may be strings, numbers, uuids or binary; each kind keeps its own namespace. */
function idOf(messageId: unknown): string {
  if (typeof messageId === 'string') return messageId;
  if (Buffer.isBuffer(messageId)) return `binary:${messageId.toString('hex')}`;
  return `${typeof messageId}:${String(messageId)}`;
}
