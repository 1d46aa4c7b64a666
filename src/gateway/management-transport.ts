// A lean stand-in for the Durable client's axios instance. The client makes 3 management calls a
// request (start, raise, status read), over loopback to the host's own management API, and axios
// was ~40 % of their CPU on the host's main thread (~120 of ~280 µs a call): the config merge and
// its validators, header objects built and normalized several times, the interceptor chain, and
// an http adapter that looks for a proxy in the environment and builds an abort emitter and a
// socket map per call. An adapter of our own under axios's core saved only a third of that. This object
// does what axios does for exactly the calls the SDK makes (`get(url, {headers}?)`,
// `post(url, data?, {headers}?)`, `delete(url)`), and sends the same request byte for byte: the
// same headers in the same order (the instance's common and per-method defaults, the call's own,
// then the http adapter's User-Agent, Content-Length and Accept-Encoding), the same body
// (axios's transformRequest for a JSON content type), through the same agent. It answers as axios
// does: status, the body parsed as JSON when it is JSON, headers, AxiosErrors (the SDK's own class)
// with the same messages and codes. It shares the instance's defaults and interceptors, so the
// gateway's tuning still goes through them (durable-clients.ts); a call, or defaults, using
// anything else (a timeout, a proxy, params, auth, async interceptors...) goes to the instance
// itself, and behaves as it always did.
import http from 'node:http';
import https from 'node:https';
import { createRequire } from 'node:module';
import zlib from 'node:zlib';

type Handler = {
  fulfilled?: (config: CallConfig) => CallConfig;
  synchronous?: boolean;
  runWhen?: ((config: CallConfig) => boolean) | null;
};
interface InterceptorManager {
  forEach(fn: (handler: Handler) => void): void;
}
/** The parts of an axios instance the SDK and this stand-in use. */
export interface AxiosInstanceLike {
  defaults: Record<string, unknown> & { headers?: Record<string, unknown> };
  interceptors: { request: InterceptorManager; response: InterceptorManager };
  get(url: string, config?: unknown): Promise<unknown>;
  post(url: string, data?: unknown, config?: unknown): Promise<unknown>;
  delete(url: string, config?: unknown): Promise<unknown>;
}
/** What an interceptor sees and may change (the URL, for the gateway's own). */
export interface CallConfig {
  method: string;
  url: string;
  data?: unknown;
  headers?: unknown;
}
interface Answer {
  data: unknown;
  status: number;
  statusText: string;
  headers: unknown;
  config: CallConfig;
  request: http.ClientRequest;
}
interface SdkAxios {
  VERSION: string;
  AxiosError: {
    new (message: string, code: string | undefined, config: unknown, request?: unknown, response?: unknown): Error;
    from(error: unknown, code: string | null, config: unknown, request?: unknown, response?: unknown): Error;
    ERR_BAD_REQUEST: string;
    ERR_BAD_RESPONSE: string;
  };
  AxiosHeaders: { from(headers: unknown): unknown };
  defaults: { adapter: unknown; transformRequest: unknown[]; transformResponse: unknown[] };
}

// The SDK's own copy of axios (durable-functions has its own under its node_modules): its error
// class, version and default transforms are the ones the stock instance uses.
const sdkAxios = createRequire(require.resolve('durable-functions'))('axios') as SdkAxios;
const { AxiosError } = sdkAxios;
const USER_AGENT = `axios/${sdkAxios.VERSION}`;
// What axios's http adapter advertises (Brotli is in every Node this project runs on).
const ACCEPT_ENCODING = 'gzip, compress, deflate, br';

// Defaults that change what axios does beyond what this object does; set on the instance, every
// call goes through axios.
const HANDED_ON = [
  'baseURL',
  'params',
  'paramsSerializer',
  'parseReviver',
  'auth',
  'proxy',
  'socketPath',
  'signal',
  'cancelToken',
  'onUploadProgress',
  'onDownloadProgress',
  'maxRate',
  'responseEncoding',
  'responseType',
  'lookup',
  'family',
  'transport',
  'insecureHTTPParser',
  'http2Options',
  'httpVersion',
  'beforeRedirect',
  'timeout',
] as const;

// axios finds a proxy in the environment (proxy-from-env: *_proxy in either case; Node's
// NODE_USE_ENV_PROXY). Read once: a process's environment does not grow a proxy later.
const ENV_PROXY = Object.entries(process.env).some(
  ([name, value]) => value !== undefined && value !== '' && (/_proxy$/i.test(name) || name === 'NODE_USE_ENV_PROXY'),
);

function sameTransforms(defaults: Record<string, unknown>): boolean {
  const request = defaults.transformRequest as unknown[] | undefined;
  const response = defaults.transformResponse as unknown[] | undefined;
  return (
    request?.length === 1 &&
    request[0] === sdkAxios.defaults.transformRequest[0] &&
    response?.length === 1 &&
    response[0] === sdkAxios.defaults.transformResponse[0]
  );
}

/** Whether this object does what axios would with these defaults; else the call goes to axios. */
function plainDefaults(defaults: Record<string, unknown>): boolean {
  if (ENV_PROXY || defaults.maxRedirects !== 0 || defaults.decompress === false) return false;
  // An adapter of the instance's own (not axios's choice of its built-in ones) is the instance's business.
  if (String(defaults.adapter) !== String(sdkAxios.defaults.adapter)) return false;
  // Limits axios enforces (the SDK lifts the response one: maxContentLength Infinity).
  const limited = (limit: unknown) => typeof limit === 'number' && Number.isFinite(limit) && limit > -1;
  if (limited(defaults.maxContentLength) || limited(defaults.maxBodyLength)) return false;
  const transitional = defaults.transitional as { forcedJSONParsing?: boolean; advertiseZstdAcceptEncoding?: boolean } | undefined;
  if (transitional?.forcedJSONParsing !== true || transitional.advertiseZstdAcceptEncoding === true) return false;
  return sameTransforms(defaults) && HANDED_ON.every((key) => !defaults[key]);
}

// AxiosHeaders' value sanitizing (sanitizeHeaderValue.js): first what a header value cannot hold,
// then, when the adapter writes them, what is not a byte string; no surrounding spaces or tabs.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters axios strips.
const NOT_HEADER_TEXT = /[\u0000-\u0008\u000a-\u001f\u007f]+/g; // eslint-disable-line no-control-regex -- the characters axios strips
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters axios strips.
const NOT_BYTE_STRING = /[^\u0009\u0020-\u007e\u0080-\u00ff]+/g; // eslint-disable-line no-control-regex -- the characters axios strips
const EDGE_BLANKS = /^[ \t]+|[ \t]+$/g;
type HeaderValue = string | number | boolean | null | undefined | HeaderValue[];
function sanitized(value: HeaderValue, invalid: RegExp): HeaderValue {
  if (value === false || value === null || value === undefined) return value;
  if (Array.isArray(value)) return value.map((item) => sanitized(item, invalid));
  return String(value).replace(invalid, '').replace(EDGE_BLANKS, '');
}

/** AxiosHeaders' rules: names are matched case-insensitively and keep their first spelling; `false` means "not this header". */
class WireHeaders {
  private readonly byName = new Map<string, [string, HeaderValue]>();
  set(name: string, value: unknown, rewrite?: boolean): void {
    const key = name.trim().toLowerCase();
    const found = this.byName.get(key);
    if (!found || found[1] === undefined || rewrite === true || (rewrite === undefined && found[1] !== false)) {
      this.byName.set(key, [found?.[0] ?? name.trim(), sanitized(value as HeaderValue, NOT_HEADER_TEXT)]);
    }
  }
  /** With `skipBuckets`, the instance's headers without its per-method ones (objects, which axios leaves out). */
  setAll(headers: unknown, skipBuckets = false): void {
    if (typeof headers !== 'object' || headers === null) return;
    for (const [name, value] of Object.entries(headers)) {
      if (!(skipBuckets && typeof value === 'object' && value !== null && !Array.isArray(value))) this.set(name, value);
    }
  }
  get(name: string): HeaderValue {
    return this.byName.get(name)?.[1];
  }
  /** The object Node writes, in order, without the unset ones. */
  wire(): Record<string, string | string[]> {
    const out = Object.create(null) as Record<string, string | string[]>;
    for (const [name, value] of this.byName.values()) {
      if (value !== null && value !== undefined && value !== false) out[name] = sanitized(value, NOT_BYTE_STRING) as string | string[];
    }
    return out;
  }
}

/** axios's transformRequest for these bodies: with a JSON content type a string goes as is if it is JSON, as a JSON string if not. */
function body(data: unknown, headers: WireHeaders): string | Buffer | undefined {
  if (Buffer.isBuffer(data)) return data;
  const json = String(headers.get('content-type') ?? '').includes('application/json');
  if (!json) return data as string | undefined;
  if (typeof data === 'string') {
    try {
      JSON.parse(data);
      return data.trim();
    } catch {
      return JSON.stringify(data);
    }
  }
  // JSON.stringify(undefined) is undefined: no body.
  return JSON.stringify(data);
}

/** The response body as the http adapter decodes it (it removes the encoding header it undid). */
function decoded(raw: Buffer, res: http.IncomingMessage, method: string): Buffer {
  const encoding = res.headers['content-encoding'];
  if (encoding === undefined) return raw;
  if (method === 'HEAD' || res.statusCode === 204) {
    delete res.headers['content-encoding'];
    return raw;
  }
  const flush = { flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH };
  let result: Buffer;
  switch (encoding.toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
    case 'compress':
    case 'x-compress':
      result = zlib.unzipSync(raw, flush);
      break;
    case 'deflate':
      // A raw deflate stream has no zlib header (whose first byte's low nibble is 8).
      result = raw.length > 0 && (raw[0] ?? 0) % 16 !== 8 ? zlib.inflateRawSync(raw, flush) : zlib.unzipSync(raw, flush);
      break;
    case 'br':
      result = zlib.brotliDecompressSync(raw);
      break;
    default:
      return raw;
  }
  delete res.headers['content-encoding'];
  return result;
}

/** What axios's transformResponse does with the body (forcedJSONParsing): JSON if it parses, else the text. */
function parsed(text: string): unknown {
  if (text === '') return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** A stand-in for the instance, sharing its defaults and interceptors; see the header. */
export class LeanAxios {
  readonly defaults: AxiosInstanceLike['defaults'];
  readonly interceptors: AxiosInstanceLike['interceptors'];

  constructor(readonly axios: AxiosInstanceLike) {
    this.defaults = axios.defaults;
    this.interceptors = axios.interceptors;
  }

  get(url: string, config?: unknown): Promise<unknown> {
    return this.call('get', url, undefined, config) ?? this.axios.get(url, config);
  }

  post(url: string, data?: unknown, config?: unknown): Promise<unknown> {
    return this.call('post', url, data, config) ?? this.axios.post(url, data, config);
  }

  delete(url: string, config?: unknown): Promise<unknown> {
    return this.call('delete', url, undefined, config) ?? this.axios.delete(url, config);
  }

  /** The call made here, or undefined for one axios must make. */
  private call(method: string, url: string, data: unknown, options: unknown): Promise<Answer> | undefined {
    const extra = options as { headers?: unknown } | undefined;
    if (extra !== undefined && (typeof extra !== 'object' || Object.keys(extra).some((key) => key !== 'headers'))) return undefined;
    if (data !== undefined && typeof data !== 'string' && !Buffer.isBuffer(data)) return undefined;
    if (!plainDefaults(this.defaults)) return undefined;
    // axios's request interceptors, if all are synchronous (the order it runs them in); a response
    // interceptor or an async one: axios.
    const handlers: Handler[] = [];
    let synchronous = true;
    this.interceptors.response.forEach(() => {
      synchronous = false;
    });
    let config: CallConfig = { method, url, data, headers: extra?.headers };
    this.interceptors.request.forEach((handler) => {
      if (typeof handler.runWhen === 'function' && !handler.runWhen(config)) return;
      synchronous &&= handler.synchronous === true;
      handlers.push(handler);
    });
    if (!synchronous) return undefined;
    for (const handler of handlers) config = handler.fulfilled ? handler.fulfilled(config) : config;
    let target: URL;
    try {
      target = new URL(config.url);
    } catch {
      return undefined;
    }
    if ((target.protocol !== 'http:' && target.protocol !== 'https:') || target.username !== '' || target.password !== '') return undefined;

    // Axios._request: the common and per-method defaults, the defaults' own headers, the call's.
    const defaults = this.defaults.headers ?? {};
    const headers = new WireHeaders();
    headers.setAll(defaults.common);
    headers.setAll(defaults[method]);
    headers.setAll(defaults, true);
    headers.setAll(config.headers);
    const sent = body(config.data, headers);
    if (method === 'post' && headers.get('content-type') === undefined)
      headers.set('Content-Type', 'application/x-www-form-urlencoded', false);
    // The http adapter's own.
    headers.set('User-Agent', USER_AGENT, false);
    const payload = typeof sent === 'string' ? (sent === '' ? undefined : Buffer.from(sent, 'utf-8')) : sent;
    if (payload) headers.set('Content-Length', payload.length, false);
    headers.set('Accept-Encoding', ACCEPT_ENCODING, false);
    return this.send(config, target, method.toUpperCase(), headers.wire(), payload);
  }

  private send(
    config: CallConfig,
    url: URL,
    method: string,
    headers: Record<string, string | string[]>,
    payload: Buffer | undefined,
  ): Promise<Answer> {
    const secure = url.protocol === 'https:';
    const options: http.RequestOptions = {
      path: url.pathname + url.search,
      method,
      headers,
      protocol: url.protocol,
      hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
      port: url.port,
      agent: (secure ? this.defaults.httpsAgent : this.defaults.httpAgent) as http.Agent | undefined,
    };
    const validateStatus = this.defaults.validateStatus as ((status: number) => boolean) | null | undefined;
    return new Promise((resolve, reject) => {
      const req = (secure ? https : http).request(options, (res) => {
        const answer = (data: unknown): Answer => ({
          data,
          status: res.statusCode ?? 0,
          statusText: res.statusMessage ?? '',
          headers: sdkAxios.AxiosHeaders.from(res.headers),
          config,
          request: req,
        });
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('aborted', () => {
          const err = new AxiosError('stream has been aborted', AxiosError.ERR_BAD_RESPONSE, config, req, answer(undefined));
          res.destroy(err);
          reject(err);
        });
        res.on('error', (err) => reject(AxiosError.from(err, null, config, req, answer(undefined))));
        res.on('end', () => {
          let response: Answer;
          try {
            const text = decoded(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks), res, method).toString('utf8');
            response = answer(parsed(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text));
          } catch (err) {
            reject(AxiosError.from(err, null, config, req, answer(undefined)));
            return;
          }
          // axios's settle(); the SDK's validateStatus (< 600) lets every answer through.
          if (!response.status || !validateStatus || validateStatus(response.status)) resolve(response);
          else {
            const code = response.status >= 400 && response.status < 500 ? AxiosError.ERR_BAD_REQUEST : AxiosError.ERR_BAD_RESPONSE;
            reject(new AxiosError(`Request failed with status code ${response.status}`, code, config, req, response));
          }
        });
      });
      req.on('error', (err) => reject(AxiosError.from(err, null, config, req)));
      // What axios does to every request's socket; with agents whose keep-alive delay is the same
      // (durable-clients.ts) Node skips the calls.
      req.on('socket', (socket) => socket.setKeepAlive(true, 60_000));
      req.setTimeout(0);
      if (payload) req.write(payload);
      req.end();
    });
  }
}

/** Whether `value` has what the SDK calls on its instance and this object needs from it. */
export function isAxiosInstance(value: unknown): value is AxiosInstanceLike {
  const instance = value as Partial<AxiosInstanceLike> | undefined;
  return (
    typeof instance?.get === 'function' &&
    typeof instance.post === 'function' &&
    typeof instance.delete === 'function' &&
    typeof instance.defaults === 'object' &&
    typeof instance.interceptors?.request?.forEach === 'function' &&
    typeof instance.interceptors.response?.forEach === 'function'
  );
}
