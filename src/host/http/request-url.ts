/**
 * The request URL handed to functions (and to mounts), built from the request line and the
 * `Host` header, which are input like any other: a `Host` that is not an RFC 3986 host with an
 * optional port up to 65535 is refused (400, naming the header) instead of reaching `new URL`
 * and escaping as a 500. A request without `Host` (HTTP/1.0) gets the address the host listens on.
 */
export type RequestUrl = { url: URL } | { problem: string };

// reg-name (unreserved, pct-encoded, sub-delims), IPv4, or a bracketed IPv6 literal.
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})+)(?::(\d{1,5}))?$/;

export function requestUrl(target: string | undefined, hostHeader: string | undefined, httpVersion: string, listening: string): RequestUrl {
  let host = hostHeader;
  if (host === undefined) {
    if (httpVersion !== '1.0') return { problem: 'The Host header is missing; HTTP/1.1 requests must carry one.' };
    host = listening;
  }
  const m = HOST.exec(host);
  if (!m || (m[1] !== undefined && Number(m[1]) > 65535)) {
    return { problem: `The Host header ${JSON.stringify(host.slice(0, 200))} is not a valid host[:port].` };
  }
  // The request target is origin-form (`/path?query`); anything else is not for this host.
  const path = target ?? '/';
  if (!path.startsWith('/')) return { problem: `The request target ${JSON.stringify(path.slice(0, 200))} must start with "/".` };
  try {
    return { url: new URL(`http://${host}${path}`) };
  } catch {
    return { problem: `The Host header ${JSON.stringify(host.slice(0, 200))} and request target do not form a valid URL.` };
  }
}
