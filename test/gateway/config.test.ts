import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/gateway/config.js';
import { ConfigError } from '../../src/gateway/errors.js';

const base = { AzureWebJobsStorage: 'UseDevelopmentStorage=true' };

function errorOf(env: Record<string, string>): ConfigError {
  try {
    parseConfig({ ...base, ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig', () => {
  it('has the documented defaults', () => {
    expect(parseConfig(base)).toEqual({
      syncWaitSeconds: 30,
      maxSyncWaitSeconds: 200,
      pollIntervalMs: 500,
      asyncDeadlineSeconds: 3600,
      retryAfterSeconds: 1,
      requestChannel: 'blob',
      requestsContainer: 'requests',
      repliesContainer: 'replies',
      rejectedContainer: 'replies-rejected',
      replyBodiesContainer: 'reply-bodies',
      gatewayContainer: 'gateway',
      maxBodyBytes: 1_048_576,
      inlineReplyBytes: 32_768,
      replyGraceMs: 5000,
      retentionHours: 24,
      rejectedRetentionHours: 168,
      storageConnection: { kind: 'connectionString', setting: 'AzureWebJobsStorage', connectionString: 'UseDevelopmentStorage=true' },
      blobTriggerSource: 'LogsAndContainerScan',
    });
  });

  it('retention hours: fractions allowed (a test drives seconds), 0 keeps, anything else refused naming the setting', () => {
    expect(parseConfig({ ...base, GATEWAY_RETENTION_HOURS: '0.5' }).retentionHours).toBe(0.5);
    expect(parseConfig({ ...base, GATEWAY_RETENTION_HOURS: '0' }).retentionHours).toBe(0);
    expect(parseConfig({ ...base, GATEWAY_REJECTED_RETENTION_HOURS: '48' }).rejectedRetentionHours).toBe(48);
    for (const bad of ['-1', '1e3', 'a day', '.5', '87601']) {
      expect(() => parseConfig({ ...base, GATEWAY_RETENTION_HOURS: bad })).toThrow(/^GATEWAY_RETENTION_HOURS: /);
      expect(() => parseConfig({ ...base, GATEWAY_REJECTED_RETENTION_HOURS: bad })).toThrow(/^GATEWAY_REJECTED_RETENTION_HOURS: /);
    }
  });

  it('GATEWAY_PUBLIC_BASE_URL: absent → relative Location; an http(s) base, made a directory; anything else refused at start', () => {
    expect(parseConfig(base).publicBaseUrl).toBeUndefined();
    expect(parseConfig({ ...base, GATEWAY_PUBLIC_BASE_URL: 'https://api.example.com' }).publicBaseUrl).toBe('https://api.example.com/');
    expect(parseConfig({ ...base, GATEWAY_PUBLIC_BASE_URL: 'https://example.com/gw' }).publicBaseUrl).toBe('https://example.com/gw/');
    for (const bad of [
      'example.com',
      'ftp://example.com/',
      'https://u:p@example.com/',
      'https://example.com/?a=1',
      'https://example.com/#x',
    ]) {
      expect(() => parseConfig({ ...base, GATEWAY_PUBLIC_BASE_URL: bad }), bad).toThrow(/GATEWAY_PUBLIC_BASE_URL/);
    }
  });

  it('GATEWAY_CONTAINER must differ from the replies container', () => {
    expect(() => parseConfig({ ...base, GATEWAY_CONTAINER: 'replies' })).toThrow(/GATEWAY_CONTAINER/);
  });

  it('is frozen', () => {
    expect(Object.isFrozen(parseConfig(base))).toBe(true);
  });

  it('reads overrides', () => {
    const config = parseConfig({
      ...base,
      GATEWAY_SYNC_WAIT_SECONDS: '5',
      GATEWAY_REQUEST_CHANNEL: 'none',
      GATEWAY_REPLIES_CONTAINER: 'answers',
    });
    expect(config).toMatchObject({ syncWaitSeconds: 5, requestChannel: 'none', repliesContainer: 'answers' });
  });

  it.each([
    ['GATEWAY_MAX_SYNC_WAIT_SECONDS', '230'],
    ['GATEWAY_MAX_SYNC_WAIT_SECONDS', '0'],
    ['GATEWAY_SYNC_WAIT_SECONDS', 'abc'],
    ['GATEWAY_SYNC_WAIT_SECONDS', '1.5'],
    ['GATEWAY_POLL_INTERVAL_MS', '-1'],
    ['GATEWAY_ASYNC_DEADLINE_SECONDS', '999999999'],
    ['GATEWAY_INLINE_REPLY_BYTES', '65536'],
    ['GATEWAY_REQUESTS_CONTAINER', 'Bad_Name'],
    ['GATEWAY_REJECTED_CONTAINER', 'a--b'],
    ['GATEWAY_REQUEST_CHANNEL', 'kafka'],
  ])('%s=%j is an error naming the setting', (setting, value) => {
    const error = errorOf({ [setting]: value });
    expect(error.setting).toBe(setting);
    expect(error.message).toContain(setting);
  });

  it('the sync wait cannot exceed the configured maximum', () => {
    expect(errorOf({ GATEWAY_MAX_SYNC_WAIT_SECONDS: '10', GATEWAY_SYNC_WAIT_SECONDS: '20' }).setting).toBe('GATEWAY_SYNC_WAIT_SECONDS');
    expect(parseConfig({ ...base, GATEWAY_MAX_SYNC_WAIT_SECONDS: '10' }).syncWaitSeconds).toBe(10);
  });

  it('servicebus without a Service Bus connection is an error naming ServiceBusConnection', () => {
    expect(errorOf({ GATEWAY_REQUEST_CHANNEL: 'servicebus' }).setting).toBe('ServiceBusConnection');
  });

  it('containers that would feed replies back into the trigger are refused', () => {
    expect(errorOf({ GATEWAY_REQUESTS_CONTAINER: 'replies' }).setting).toBe('GATEWAY_REQUESTS_CONTAINER');
    expect(errorOf({ GATEWAY_REJECTED_CONTAINER: 'replies' }).setting).toBe('GATEWAY_REJECTED_CONTAINER');
  });

  it('a missing storage connection names AzureWebJobsStorage and never echoes a value', () => {
    expect(() => parseConfig({})).toThrow(/AzureWebJobsStorage/);
  });
});
