// Stand-ins for what identity-based connections need and cannot have here: a TLS certificate for
// Azurite's OAuth mode (which serves https only), and the managed identity endpoint App Service
// and Functions give an app (IDENTITY_ENDPOINT + IDENTITY_HEADER), which @azure/identity's
// ManagedIdentityCredential asks for tokens. The endpoint is a real HTTP server on loopback that
// records every token request and mints a JWT with the audience asked for; Azurite checks its
// issuer, audience and expiry (not its signature), so a wrong token is refused as Azure would.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface SelfSignedCert {
  dir: string;
  cert: string;
  key: string;
  remove(): void;
}

/** A certificate for 127.0.0.1 made by openssl, valid for a day. */
export function selfSignedCert(): SelfSignedCert {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'identity-tls-'));
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  return { dir, cert, key, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export interface TokenRequest {
  resource: string | null;
  clientId: string | null;
  identityHeader: string | undefined;
}

export interface IdentityEndpoint {
  /** IDENTITY_ENDPOINT and IDENTITY_HEADER, for the process that is to use the managed identity. */
  env: { IDENTITY_ENDPOINT: string; IDENTITY_HEADER: string };
  requests: TokenRequest[];
  close(): Promise<void>;
}

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** A token for `resource`; `audience` overrides the audience (to show a wrong token is refused). */
function token(resource: string, audience = resource): string {
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    aud: audience,
    iss: `https://sts.windows.net/${TENANT}/`,
    iat: now,
    nbf: now,
    exp: now + 3600,
    oid: randomUUID(),
    tid: TENANT,
  };
  return `${base64url({ alg: 'RS256', typ: 'JWT' })}.${base64url(claims)}.c2lnbmF0dXJlLW5vdC1jaGVja2Vk`;
}

export async function startIdentityEndpoint(options: { audience?: string } = {}): Promise<IdentityEndpoint> {
  const header = randomUUID();
  const requests: TokenRequest[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const resource = url.searchParams.get('resource');
    const identityHeader = req.headers['x-identity-header'];
    requests.push({
      resource,
      clientId: url.searchParams.get('client_id'),
      identityHeader: typeof identityHeader === 'string' ? identityHeader : undefined,
    });
    if (identityHeader !== header || !resource) {
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid_request' }));
      return;
    }
    const expiresOn = Math.floor(Date.now() / 1000) + 3600;
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        access_token: token(resource, options.audience),
        expires_on: String(expiresOn),
        resource,
        token_type: 'Bearer',
        client_id: url.searchParams.get('client_id') ?? undefined,
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    env: { IDENTITY_ENDPOINT: `http://127.0.0.1:${port}/msi/token`, IDENTITY_HEADER: header },
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
