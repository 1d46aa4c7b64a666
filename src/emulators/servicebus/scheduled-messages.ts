// Messages waiting for their scheduled enqueue time on one queue or topic (`scheduleMessages`, or
// a send carrying `scheduledEnqueueTimeUtc`). Each is journalled with its time, so a restarted
// endpoint delivers it when it falls due (at once if that time passed while it was down).
import type { AmqpMessage } from './amqp-message.js';
import type { Journal, Row } from './journal.js';
import { encodeMessage, messageOfRow, numberOfRow, rowKey } from './journal-rows.js';

/** Node timers overflow past ~24.8 days; a longer wait is taken in steps. */
const longestTimerMs = 2 ** 31 - 1;

interface Waiting {
  readonly message: AmqpMessage;
  readonly dueAt: number;
  timer?: NodeJS.Timeout;
}

export class ScheduledMessages {
  private readonly waiting = new Map<number, Waiting>();

  constructor(
    private readonly ownerPath: string,
    private readonly journal: Journal,
    /** Enqueues a message that fell due, under the sequence number it was scheduled with. */
    private readonly deliver: (message: AmqpMessage, sequenceNumber: number) => void,
  ) {}

  schedule(sequenceNumber: number, message: AmqpMessage, dueAt: number, encoded?: Buffer): void {
    const row: Row = this.journal.persistent ? { at: dueAt, m: (encoded ?? encodeMessage(message)).toString('base64') } : {};
    this.journal.write([{ put: rowKey('scheduled', this.ownerPath, sequenceNumber), row }]);
    this.wait(sequenceNumber, { message, dueAt });
  }

  /** The service answers an unknown sequence number with success too: there is nothing left to cancel. */
  cancel(sequenceNumber: number): void {
    const waiting = this.waiting.get(sequenceNumber);
    if (!waiting) return;
    clearTimeout(waiting.timer);
    this.waiting.delete(sequenceNumber);
    this.journal.write([{ del: rowKey('scheduled', this.ownerPath, sequenceNumber) }]);
  }

  restore(sequenceNumber: number, row: Row): void {
    this.wait(sequenceNumber, { message: messageOfRow(row), dueAt: numberOfRow(row, 'at') });
  }

  *rows(): Generator<[string, Row]> {
    for (const [sequenceNumber, { message, dueAt }] of this.waiting) {
      yield [rowKey('scheduled', this.ownerPath, sequenceNumber), { at: dueAt, m: encodeMessage(message).toString('base64') }];
    }
  }

  close(): void {
    for (const waiting of this.waiting.values()) clearTimeout(waiting.timer);
    this.waiting.clear();
  }

  private wait(sequenceNumber: number, waiting: Waiting): void {
    this.waiting.set(sequenceNumber, waiting);
    const delay = Math.max(0, waiting.dueAt - Date.now());
    waiting.timer = setTimeout(
      () => (delay > longestTimerMs ? this.wait(sequenceNumber, waiting) : this.fire(sequenceNumber)),
      Math.min(delay, longestTimerMs),
    );
    // A scheduled message must not keep a process alive on its own.
    waiting.timer.unref();
  }

  private fire(sequenceNumber: number): void {
    const waiting = this.waiting.get(sequenceNumber);
    if (!waiting) return;
    this.waiting.delete(sequenceNumber);
    // One line: after a crash the message is either still scheduled or enqueued, never both or neither.
    this.journal.atomically(() => {
      this.journal.write([{ del: rowKey('scheduled', this.ownerPath, sequenceNumber) }]);
      this.deliver(waiting.message, sequenceNumber);
    });
  }
}
