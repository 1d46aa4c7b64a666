import type http from 'node:http';

/**
 * local.settings.json `Host.CORS` / `Host.CORSCredentials`, answered as Core Tools answers them
 * (ASP.NET Core's CORS middleware with the listed origins, any method, any header): an allowed
 * `Origin` gets `Access-Control-Allow-Origin` (the origin itself, `*` for a `*` list without
 * credentials) and `Vary: Origin`; a preflight (OPTIONS with `Access-Control-Request-Method`) is
 * answered 204 by the host without reaching a function, echoing the requested method and headers.
 * An origin not on the list gets no CORS headers, so the browser refuses, as it would against Azure.
 */
export interface CorsSettings {
  origins: string[];
  credentials: boolean;
}

/** Sets the CORS headers for `req` on `res`; true when it answered a preflight itself. */
export function applyCors(cors: CorsSettings, req: http.IncomingMessage, res: http.ServerResponse): boolean {
  const origin = req.headers.origin;
  const requestedMethod = req.headers['access-control-request-method'];
  const preflight = req.method === 'OPTIONS' && typeof requestedMethod === 'string' && origin !== undefined;
  const any = cors.origins.includes('*');
  const allowed = origin !== undefined && (any || cors.origins.some((o) => o.toLowerCase() === origin.toLowerCase()));
  if (allowed) {
    res.setHeader('Access-Control-Allow-Origin', any && !cors.credentials ? '*' : origin);
    if (!any || cors.credentials) res.setHeader('Vary', 'Origin');
    if (cors.credentials) res.setHeader('Access-Control-Allow-Credentials', 'true');
  }
  if (!preflight) return false;
  if (allowed) {
    res.setHeader('Access-Control-Allow-Methods', requestedMethod);
    const requestedHeaders = req.headers['access-control-request-headers'];
    if (typeof requestedHeaders === 'string' && requestedHeaders) res.setHeader('Access-Control-Allow-Headers', requestedHeaders);
  }
  res.writeHead(204);
  res.end();
  return true;
}
