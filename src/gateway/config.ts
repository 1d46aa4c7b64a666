// App settings, parsed once and frozen. Every error names the setting (and never echoes the
// connection strings, which hold keys). Connections are read as the Functions host reads them
// (src/connections/): a connection string, or the identity-based `<name>__*` settings.
import { ConnectionSettingError } from '../connections/connection-section.js';
import { resolveServiceBusConnection, type ServiceBusConnection } from '../connections/servicebus-connection.js';
import { resolveStorageConnection, type StorageConnection } from '../connections/storage-connection.js';
import { ConfigError } from './errors.js';

export type RequestChannel = 'blob' | 'servicebus' | 'none';

/** The Service Bus connection's name (the trigger's `connection` too): a connection string or `ServiceBusConnection__*`. */
export const SERVICE_BUS_CONNECTION_SETTING = 'ServiceBusConnection';
/** The storage connection's name, the host's own (Durable state, the blob trigger) and the gateway's blobs. */
export const STORAGE_CONNECTION_SETTING = 'AzureWebJobsStorage';

/**
 * Where the blob reply trigger learns of new blobs: `LogsAndContainerScan` (the host polls the
 * container; not available on Flex Consumption, slow on an idle Consumption app) or `EventGrid`
 * (BlobCreated events pushed to the host's blob webhook; needs the Event Grid subscription).
 */
export type BlobTriggerSource = 'EventGrid' | 'LogsAndContainerScan';

/** Present when ServiceBusConnection is set: the Service Bus request channel and reply trigger. */
export interface ServiceBusSettings {
  readonly connection: ServiceBusConnection;
  readonly requestTopic: string;
  readonly replyTopic: string;
  readonly replySubscription: string;
  /**
   * How unknown, late, duplicate and malformed reply messages are set aside: dead-lettered on the
   * reply subscription with their reason (`deadletter`), or, as a fallback, forwarded to
   * rejectedQueue (`forward`); see replies/servicebus-channel.ts.
   */
  readonly setAside: 'deadletter' | 'forward';
  readonly rejectedQueue: string;
  /**
   * The largest message the request topic takes (256 KB on the Standard tier); a request body
   * that would not fit goes by claim check (request-channel.ts).
   */
  readonly maxMessageBytes: number;
  /** Claim checks: reply message bodies too large for Durable state are copied here as blobs. */
  readonly replyBodiesContainer: string;
}

export interface GatewayConfig {
  readonly syncWaitSeconds: number;
  readonly maxSyncWaitSeconds: number;
  readonly pollIntervalMs: number;
  readonly asyncDeadlineSeconds: number;
  readonly retryAfterSeconds: number;
  readonly requestChannel: RequestChannel;
  readonly requestsContainer: string;
  readonly repliesContainer: string;
  readonly rejectedContainer: string;
  /**
   * Claim checks: replies too large for Durable state are kept here, where no backend writes, so
   * a later reply under the same name cannot replace an answer given by reference.
   */
  readonly replyBodiesContainer: string;
  /** The gateway's own blobs (the Idempotency-Key secret); no backend writes here. */
  readonly gatewayContainer: string;
  /**
   * Where callers reach the gateway (`https://api.example.com/` or with a path), for absolute
   * `Location` headers; undefined → relative ones. Never taken from the request's Host header.
   */
  readonly publicBaseUrl: string | undefined;
  readonly maxBodyBytes: number;
  readonly inlineReplyBytes: number;
  readonly replyGraceMs: number;
  /** Finished requests (and their blobs) are purged this long after they finished; 0 keeps them. */
  readonly retentionHours: number;
  /** Set-aside replies (both channels) are deleted this long after they were set aside; 0 keeps them. */
  readonly rejectedRetentionHours: number;
  /** AzureWebJobsStorage: the gateway's blobs live in the host's own account. */
  readonly storageConnection: StorageConnection;
  readonly blobTriggerSource: BlobTriggerSource;
  readonly serviceBus?: ServiceBusSettings;
}

// Azure's front end drops HTTP responses after 230 s (docs/field-notes.md#n3); the gateway must answer
// (504) before that, so the longest sync wait is bounded at configuration time.
export const AZURE_HTTP_RESPONSE_CAP_SECONDS = 230;

// Durable keeps orchestration output in its state; past ~45 KB the Azure Storage provider
// offloads it and the local host's table cells refuse it. Base64 grows a body by 4/3, so inline
// replies stop at 32 KiB (about 43.7 KB in the envelope).
export const MAX_INLINE_REPLY_BYTES = 32_768;

type Env = Readonly<Record<string, string | undefined>>;

function integer(env: Env, setting: string, fallback: number, min: number, max: number): number {
  const raw = env[setting]?.trim();
  if (raw === undefined || raw === '') return fallback;
  if (!/^-?\d+$/.test(raw)) throw new ConfigError(setting, `expected an integer, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) {
    throw new ConfigError(setting, `must be between ${min} and ${max}, got ${value}`);
  }
  return value;
}

// Hours may be fractional ("0.5"), so a test can drive a retention of seconds with the same setting.
function hours(env: Env, setting: string, fallback: number): number {
  const raw = env[setting]?.trim();
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+(\.\d+)?$/.test(raw)) throw new ConfigError(setting, `expected a number of hours (0 keeps forever), got "${raw}"`);
  const value = Number(raw);
  // Ten years: past it a cutoff date stops meaning anything.
  if (value > 87_600) throw new ConfigError(setting, `must be at most 87600 hours, got ${value}`);
  return value;
}

// Azure container rules: 3-63 chars, lowercase letters, digits and single hyphens inside.
const CONTAINER_PATTERN = /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/;

export function isContainerName(value: string): boolean {
  return CONTAINER_PATTERN.test(value);
}

function container(env: Env, setting: string, fallback: string): string {
  const value = env[setting]?.trim() || fallback;
  if (!isContainerName(value)) {
    throw new ConfigError(setting, `"${value}" is not a valid blob container name`);
  }
  return value;
}

function publicBaseUrl(env: Env): string | undefined {
  const setting = 'GATEWAY_PUBLIC_BASE_URL';
  const raw = env[setting]?.trim();
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(setting, `"${raw}" is not an absolute URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new ConfigError(setting, `must be an http or https URL, got ${url.protocol}`);
  if (url.username || url.password || url.search || url.hash) {
    throw new ConfigError(setting, 'must not carry credentials, a query or a fragment');
  }
  // A trailing slash makes the base a directory, so `api/status/…` resolves below its path.
  return url.href.endsWith('/') ? url.href : `${url.href}/`;
}

/** The blob reply trigger's source; read at registration, before any storage setting is needed. */
export function parseBlobTriggerSource(env: Env): BlobTriggerSource {
  const setting = 'GATEWAY_BLOB_TRIGGER_SOURCE';
  const raw = env[setting]?.trim() || 'LogsAndContainerScan';
  // The host's enum parse is case-insensitive; the registration passes the canonical spelling.
  const source = (['EventGrid', 'LogsAndContainerScan'] as const).find((s) => s.toLowerCase() === raw.toLowerCase());
  if (source === undefined) throw new ConfigError(setting, `expected "EventGrid" or "LogsAndContainerScan", got "${raw}"`);
  return source;
}

/** A connection error becomes a ConfigError naming the setting to fix. */
function connection<T>(resolve: () => T): T {
  try {
    return resolve();
  } catch (error) {
    if (error instanceof ConnectionSettingError) throw new ConfigError(error.setting, error.detail);
    throw error;
  }
}

function storageConnection(env: Env, setting: string): StorageConnection {
  // The gateway's own clients use blobs only; the host checks queue and table for itself.
  return connection(() => resolveStorageConnection(setting, env, ['blob']));
}

function serviceBusConnection(env: Env, setting: string): ServiceBusConnection | undefined {
  return connection(() => resolveServiceBusConnection(setting, env));
}

function channel(env: Env): RequestChannel {
  const setting = 'GATEWAY_REQUEST_CHANNEL';
  const value = (env[setting]?.trim() || 'blob').toLowerCase();
  if (value === 'blob' || value === 'servicebus' || value === 'none') return value;
  throw new ConfigError(setting, `expected "blob", "servicebus" or "none", got "${value}"`);
}

// Service Bus names: letters, digits, ".", "_", "-" (and "/" in queue and topic paths), starting
// and ending with a letter or digit; subscriptions are at most 50 characters.
const ENTITY_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9._/-]{0,258}[A-Za-z0-9])?$/;
const SUBSCRIPTION_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,48}[A-Za-z0-9])?$/;

function entity(env: Env, setting: string, fallback: string, pattern = ENTITY_PATTERN): string {
  const value = env[setting]?.trim() || fallback;
  if (!pattern.test(value)) throw new ConfigError(setting, `"${value}" is not a valid Service Bus entity name`);
  return value;
}

function setAsideMode(env: Env): ServiceBusSettings['setAside'] {
  const value = (env.GATEWAY_REPLY_SET_ASIDE?.trim() || 'deadletter').toLowerCase();
  if (value === 'deadletter' || value === 'forward') return value;
  throw new ConfigError('GATEWAY_REPLY_SET_ASIDE', `expected "deadletter" or "forward", got "${value}"`);
}

/**
 * The Service Bus side, or undefined when ServiceBusConnection is not set (the gateway then runs
 * on blobs alone and registers no Service Bus trigger). Needs no storage setting, so the reply
 * function can decide at load time whether to register.
 */
export function parseServiceBusSettings(env: Env): ServiceBusSettings | undefined {
  const resolved = serviceBusConnection(env, SERVICE_BUS_CONNECTION_SETTING);
  if (resolved === undefined) return undefined;
  const settings: ServiceBusSettings = {
    connection: resolved,
    requestTopic: entity(env, 'GATEWAY_REQUEST_TOPIC', 'requests'),
    replyTopic: entity(env, 'GATEWAY_REPLY_TOPIC', 'replies'),
    replySubscription: entity(env, 'GATEWAY_REPLY_SUBSCRIPTION', 'gateway', SUBSCRIPTION_PATTERN),
    setAside: setAsideMode(env),
    rejectedQueue: entity(env, 'GATEWAY_REJECTED_REPLY_QUEUE', 'replies-rejected'),
    // 256 KB is the Standard tier's limit, 100 MB the largest a Premium namespace allows.
    maxMessageBytes: integer(env, 'GATEWAY_SERVICEBUS_MAX_MESSAGE_BYTES', 262_144, 16_384, 104_857_600),
    replyBodiesContainer: container(env, 'GATEWAY_REPLY_BODIES_CONTAINER', 'reply-bodies'),
  };
  // Entity names are case-insensitive. A request sent to the reply topic carries the request id
  // as its correlationId, so the gateway would take its own request for the answer.
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  if (same(settings.requestTopic, settings.replyTopic)) {
    throw new ConfigError('GATEWAY_REQUEST_TOPIC', `must differ from GATEWAY_REPLY_TOPIC ("${settings.replyTopic}")`);
  }
  if (same(settings.rejectedQueue, settings.replyTopic) || same(settings.rejectedQueue, settings.requestTopic)) {
    throw new ConfigError('GATEWAY_REJECTED_REPLY_QUEUE', `must differ from the request and reply topics ("${settings.rejectedQueue}")`);
  }
  return Object.freeze(settings);
}

export function parseConfig(env: Env): GatewayConfig {
  const maxSyncWaitSeconds = integer(env, 'GATEWAY_MAX_SYNC_WAIT_SECONDS', 200, 1, AZURE_HTTP_RESPONSE_CAP_SECONDS - 1);
  const config: GatewayConfig = {
    syncWaitSeconds: integer(env, 'GATEWAY_SYNC_WAIT_SECONDS', Math.min(30, maxSyncWaitSeconds), 1, maxSyncWaitSeconds),
    maxSyncWaitSeconds,
    pollIntervalMs: integer(env, 'GATEWAY_POLL_INTERVAL_MS', 500, 10, 60_000),
    // Up to 6 days: longer Durable timers become chains of hidden sub-timers (replay schema V3).
    asyncDeadlineSeconds: integer(env, 'GATEWAY_ASYNC_DEADLINE_SECONDS', 3600, 1, 6 * 24 * 3600),
    retryAfterSeconds: integer(env, 'GATEWAY_RETRY_AFTER_SECONDS', 1, 1, 3600),
    requestChannel: channel(env),
    requestsContainer: container(env, 'GATEWAY_REQUESTS_CONTAINER', 'requests'),
    repliesContainer: container(env, 'GATEWAY_REPLIES_CONTAINER', 'replies'),
    rejectedContainer: container(env, 'GATEWAY_REJECTED_CONTAINER', 'replies-rejected'),
    replyBodiesContainer: container(env, 'GATEWAY_REPLY_BODIES_CONTAINER', 'reply-bodies'),
    gatewayContainer: container(env, 'GATEWAY_CONTAINER', 'gateway'),
    publicBaseUrl: publicBaseUrl(env),
    maxBodyBytes: integer(env, 'GATEWAY_MAX_BODY_BYTES', 1_048_576, 1, 100 * 1_048_576),
    inlineReplyBytes: integer(env, 'GATEWAY_INLINE_REPLY_BYTES', MAX_INLINE_REPLY_BYTES, 0, MAX_INLINE_REPLY_BYTES),
    replyGraceMs: integer(env, 'GATEWAY_REPLY_GRACE_MS', 5000, 0, 600_000),
    retentionHours: hours(env, 'GATEWAY_RETENTION_HOURS', 24),
    rejectedRetentionHours: hours(env, 'GATEWAY_REJECTED_RETENTION_HOURS', 7 * 24),
    storageConnection: storageConnection(env, STORAGE_CONNECTION_SETTING),
    blobTriggerSource: parseBlobTriggerSource(env),
    serviceBus: parseServiceBusSettings(env),
  };
  if (config.requestChannel === 'servicebus' && config.serviceBus === undefined) {
    throw new ConfigError(
      SERVICE_BUS_CONNECTION_SETTING,
      'is not set (a connection string, or ServiceBusConnection__fullyQualifiedNamespace for an identity); GATEWAY_REQUEST_CHANNEL=servicebus needs it',
    );
  }
  // A request blob landing in the replies container would be taken for a reply, and a reply set
  // aside into the replies container would trigger again, forever.
  if (config.requestsContainer === config.repliesContainer) {
    throw new ConfigError('GATEWAY_REQUESTS_CONTAINER', `must differ from GATEWAY_REPLIES_CONTAINER ("${config.repliesContainer}")`);
  }
  if (config.rejectedContainer === config.repliesContainer) {
    throw new ConfigError('GATEWAY_REJECTED_CONTAINER', `must differ from GATEWAY_REPLIES_CONTAINER ("${config.repliesContainer}")`);
  }
  // Same reason: a claim-check blob in the replies container would be judged as a reply of its own.
  if (config.replyBodiesContainer === config.repliesContainer) {
    throw new ConfigError('GATEWAY_REPLY_BODIES_CONTAINER', `must differ from GATEWAY_REPLIES_CONTAINER ("${config.repliesContainer}")`);
  }
  // The secret blob's name would be read as a reply for the request of that name.
  if (config.gatewayContainer === config.repliesContainer) {
    throw new ConfigError('GATEWAY_CONTAINER', `must differ from GATEWAY_REPLIES_CONTAINER ("${config.repliesContainer}")`);
  }
  return Object.freeze(config);
}

let cached: GatewayConfig | undefined;

/** The process-wide config, parsed on first use (so a bad setting fails the first call loudly). */
export function getConfig(): GatewayConfig {
  cached ??= parseConfig(process.env);
  return cached;
}
