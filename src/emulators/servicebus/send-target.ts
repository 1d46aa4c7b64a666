// What a queue or topic does with a message a sender hands it: drop it as a duplicate (when the
// entity detects duplicates), hold it until its scheduled enqueue time, or enqueue it now. The
// queue or topic itself only says how to enqueue (one store, or every matching subscription).
import type { AmqpMessage } from './amqp-message.js';
import { DuplicateDetection } from './duplicate-detection.js';
import type { Journal, Row } from './journal.js';
import { rowKey } from './journal-rows.js';
import { ScheduledMessages } from './scheduled-messages.js';

export interface SendTargetOptions {
  readonly path: string;
  readonly journal: Journal;
  /** Absent: duplicate detection is off. */
  readonly duplicateDetectionWindowMs?: number;
  /** Sequence numbers for scheduled messages: a queue's own; a topic keeps a counter. */
  readonly nextSequenceNumber?: () => number;
  /** Enqueues now; `sequenceNumber` is the one a scheduled message was given. */
  readonly enqueue: (message: AmqpMessage, encoded: Buffer | undefined, sequenceNumber?: number) => void;
}

export class SendTarget {
  readonly path: string;
  private readonly duplicates: DuplicateDetection | undefined;
  private readonly scheduled: ScheduledMessages;
  private lastScheduledSequenceNumber = 0;

  constructor(private readonly options: SendTargetOptions) {
    this.path = options.path;
    this.duplicates =
      options.duplicateDetectionWindowMs === undefined
        ? undefined
        : new DuplicateDetection(options.path, options.duplicateDetectionWindowMs, options.journal);
    this.scheduled = new ScheduledMessages(options.path, options.journal, (message, sequenceNumber) =>
      options.enqueue(message, undefined, options.nextSequenceNumber ? sequenceNumber : undefined),
    );
  }

  /** A plain send; `encoded` is the message's bytes when the caller has them. */
  send(message: AmqpMessage, encoded?: Buffer): void {
    if (this.duplicates?.isDuplicate(message.message_id)) return;
    const scheduledFor = message.message_annotations?.['x-opt-scheduled-enqueue-time'];
    if (scheduledFor instanceof Date && scheduledFor.getTime() > Date.now()) {
      this.schedule(message, scheduledFor.getTime(), encoded);
      return;
    }
    this.options.journal.atomically(() => this.options.enqueue(message, encoded));
  }

  /** `scheduleMessages`: returns the sequence number `cancelScheduledMessages` takes. */
  schedule(message: AmqpMessage, dueAt: number, encoded?: Buffer): number {
    const sequenceNumber = this.options.nextSequenceNumber?.() ?? ++this.lastScheduledSequenceNumber;
    this.options.journal.atomically(() => {
      if (!this.options.nextSequenceNumber) {
        this.options.journal.write([{ put: rowKey('counter', this.path), row: { n: sequenceNumber } }]);
      }
      this.scheduled.schedule(sequenceNumber, message, dueAt, encoded);
    });
    return sequenceNumber;
  }

  cancelScheduled(sequenceNumber: number): void {
    this.scheduled.cancel(sequenceNumber);
  }

  restore(kind: 'scheduled' | 'seen' | 'counter', id: string, row: Row): void {
    if (kind === 'scheduled') this.scheduled.restore(Number(id), row);
    else if (kind === 'seen') this.duplicates?.restore(id, row);
    else this.lastScheduledSequenceNumber = Math.max(this.lastScheduledSequenceNumber, Number(row.n));
  }

  *rows(): Generator<[string, Row]> {
    if (!this.options.nextSequenceNumber) yield [rowKey('counter', this.path), { n: this.lastScheduledSequenceNumber }];
    yield* this.scheduled.rows();
    if (this.duplicates) yield* this.duplicates.rows();
  }

  close(): void {
    this.scheduled.close();
  }
}
