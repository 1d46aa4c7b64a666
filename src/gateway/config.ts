// App settings, parsed once and frozen. Every error names the setting (and never echoes the
// storage connection string, which holds a key).
import { ConfigError } from './errors.js';

export type RequestChannel = 'blob' | 'none';

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
  readonly maxBodyBytes: number;
  readonly inlineReplyBytes: number;
  readonly replyGraceMs: number;
  readonly storageConnection: string;
}

// Azure's front end drops HTTP responses after 230 s (field note #3); the gateway must answer
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

function channel(env: Env): RequestChannel {
  const setting = 'GATEWAY_REQUEST_CHANNEL';
  const value = (env[setting]?.trim() || 'blob').toLowerCase();
  if (value === 'blob' || value === 'none') return value;
  if (value === 'servicebus') throw new ConfigError(setting, '"servicebus" is not supported yet; use "blob" or "none"');
  throw new ConfigError(setting, `expected "blob" or "none", got "${value}"`);
}

export function parseConfig(env: Env): GatewayConfig {
  const maxSyncWaitSeconds = integer(env, 'GATEWAY_MAX_SYNC_WAIT_SECONDS', 200, 1, AZURE_HTTP_RESPONSE_CAP_SECONDS - 1);
  const storageConnection = env.AzureWebJobsStorage?.trim();
  if (!storageConnection) throw new ConfigError('AzureWebJobsStorage', 'is not set (a storage connection string)');
  const config: GatewayConfig = {
    syncWaitSeconds: integer(env, 'GATEWAY_SYNC_WAIT_SECONDS', Math.min(30, maxSyncWaitSeconds), 1, maxSyncWaitSeconds),
    maxSyncWaitSeconds,
    pollIntervalMs: integer(env, 'GATEWAY_POLL_INTERVAL_MS', 100, 10, 60_000),
    // Up to 6 days: longer Durable timers become chains of hidden sub-timers (replay schema V3).
    asyncDeadlineSeconds: integer(env, 'GATEWAY_ASYNC_DEADLINE_SECONDS', 3600, 1, 6 * 24 * 3600),
    retryAfterSeconds: integer(env, 'GATEWAY_RETRY_AFTER_SECONDS', 1, 1, 3600),
    requestChannel: channel(env),
    requestsContainer: container(env, 'GATEWAY_REQUESTS_CONTAINER', 'requests'),
    repliesContainer: container(env, 'GATEWAY_REPLIES_CONTAINER', 'replies'),
    rejectedContainer: container(env, 'GATEWAY_REJECTED_CONTAINER', 'replies-rejected'),
    maxBodyBytes: integer(env, 'GATEWAY_MAX_BODY_BYTES', 1_048_576, 1, 100 * 1_048_576),
    inlineReplyBytes: integer(env, 'GATEWAY_INLINE_REPLY_BYTES', MAX_INLINE_REPLY_BYTES, 0, MAX_INLINE_REPLY_BYTES),
    replyGraceMs: integer(env, 'GATEWAY_REPLY_GRACE_MS', 5000, 0, 600_000),
    storageConnection,
  };
  // A request blob landing in the replies container would be taken for a reply, and a reply set
  // aside into the replies container would trigger again, forever.
  if (config.requestsContainer === config.repliesContainer) {
    throw new ConfigError('GATEWAY_REQUESTS_CONTAINER', `must differ from GATEWAY_REPLIES_CONTAINER ("${config.repliesContainer}")`);
  }
  if (config.rejectedContainer === config.repliesContainer) {
    throw new ConfigError('GATEWAY_REJECTED_CONTAINER', `must differ from GATEWAY_REPLIES_CONTAINER ("${config.repliesContainer}")`);
  }
  return Object.freeze(config);
}

let cached: GatewayConfig | undefined;

/** The process-wide config, parsed on first use (so a bad setting fails the first call loudly). */
export function getConfig(): GatewayConfig {
  cached ??= parseConfig(process.env);
  return cached;
}
