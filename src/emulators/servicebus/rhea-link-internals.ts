// rhea is written as a client library; acting as a broker needs a few of its fields that its
// typings leave out. They are reached here, in one place, so an upgrade of rhea has one file to check.
import { type Connection, type Delivery, type link, message as rheaMessage, type Sender } from 'rhea';

interface LocalAttach {
  snd_settle_mode?: number;
  rcv_settle_mode?: number;
  max_message_size?: number;
}

interface LinkWithLocalAttach {
  local: { attach: LocalAttach };
}

interface SenderCounters {
  credit: number;
  delivery_count: number;
  _draining: boolean;
  _drained: boolean;
  _get_drain(): boolean;
}

/** Answers the client's attach with the terminus and settle modes it asked for. */
export function mirrorAttach(amqpLink: link, maxMessageSize?: number): void {
  const local = (amqpLink as unknown as LinkWithLocalAttach).local.attach;
  if (amqpLink.source) amqpLink.set_source(amqpLink.source);
  if (amqpLink.target) amqpLink.set_target(amqpLink.target);
  local.snd_settle_mode = amqpLink.snd_settle_mode;
  local.rcv_settle_mode = amqpLink.rcv_settle_mode;
  if (maxMessageSize !== undefined) local.max_message_size = maxMessageSize;
}

/**
 * The credit the receiver granted, as a running total: rhea lowers `credit` and raises
 * `delivery_count` only when it writes the transfers (next tick), so their sum stays put while
 * sends are queued, and the caller subtracts its own count of sends.
 */
export function creditLimit(sender: Sender): number {
  const counters = sender as unknown as SenderCounters;
  return counters.credit + counters.delivery_count;
}

/**
 * rhea answers a drain request only while it still holds credit; at zero credit it writes a flow
 * without the drain flag, and the SDK's `receiveMessages` then waits out its drain timeout and
 * closes the link. The service always echoes the drain, so this sender does too.
 */
export function answerDrainAtZeroCredit(sender: Sender): void {
  const counters = sender as unknown as SenderCounters;
  counters._get_drain = function getDrain(this: SenderCounters): boolean {
    if (!this._draining || !this._drained) return false;
    this.delivery_count += this.credit;
    this.credit = 0;
    return true;
  };
}

interface OutcomeFactory {
  accepted(): { described(): unknown };
  rejected(fields: { error: { condition: string; description: string } }): { described(): unknown };
}

/** rhea builds outcomes at runtime (`message.accepted()`) but its typings do not list them. */
export function acceptedOutcome(): unknown {
  return (rheaMessage as unknown as OutcomeFactory).accepted().described();
}

export function rejectedOutcome(error: { condition: string; description: string }): unknown {
  return (rheaMessage as unknown as OutcomeFactory).rejected({ error }).described();
}

interface AbortableConnection {
  socket?: unknown;
  abort_socket(socket: unknown): void;
}

/** Cuts a connection that did not answer a close; rhea then also clears its heartbeat timers. */
export function abortConnection(connection: Connection): void {
  const abortable = connection as unknown as AbortableConnection;
  if (abortable.socket) abortable.abort_socket(abortable.socket);
}

interface LinkState {
  state: { open_requests: number };
}

/**
 * rhea writes a session's transfers before its links' attach frames, so a transfer sent in the
 * tick the client attached (and granted credit) would reach the client before the attach answer.
 */
export function attachNotYetWritten(amqpLink: link): boolean {
  return (amqpLink as unknown as LinkState).state.open_requests > 0;
}

interface OutgoingDelivery {
  remote_settled: boolean;
}

/**
 * Settles a peek-locked delivery the client has disposed of, with the endpoint's outcome, and
 * lets it leave the session window. The SDK receives with rcv-settle-mode second: it sends its
 * outcome unsettled, and once it hears this settled answer it settles its side silently, as the
 * mode has it (nothing more is owed to a sender that has settled). rhea, written as a client,
 * drops an outgoing delivery from its session buffer only when it has also heard the remote
 * settle, so without this every peek-locked delivery stays in the buffer and the link stops
 * after rhea's 2048 (session.js, `DEFAULT_BUFFER_SIZE`). Marked after `update`, which writes the
 * disposition only for a delivery not yet remotely settled; rhea drops it once that is written.
 */
export function settleDisposed(delivery: Delivery, outcome: unknown): void {
  delivery.update(true, outcome);
  (delivery as unknown as OutgoingDelivery).remote_settled = true;
}
