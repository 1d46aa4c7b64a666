// Identity-based connections, end to end: the gateway app in the local host, a real child process,
// with AzureWebJobsStorage given only as `__blobServiceUri` / `__queueServiceUri` /
// `__tableServiceUri` + `__credential=managedidentity` + `__clientId` (no key anywhere in its
// environment), against Azurite in OAuth mode over https. A request goes out as a blob, its reply
// comes back through the blob trigger (source EventGrid) and the Durable engine, and the answer
// is read: every storage call of the host and of the gateway's own clients was signed with a
// token @azure/identity's ManagedIdentityCredential got from the managed identity endpoint, which
// saw the storage audience and our client id. A token Azurite refuses stops the host at start.
//
// What this cannot exercise: Entra ID itself (the endpoint is a loopback stand-in whose tokens
// Azurite checks for issuer, audience and expiry but not signature or role assignments), the
// `__accountName` form (it names *.core.windows.net, unreachable here; config tests cover its
// URIs), and Service Bus over an identity here (its namespace would be dialled on port 5671; the
// SDK path is in identity-servicebus.test.ts, the settings in test/gateway/config-identity.test.ts).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningAzurite, startAzurite } from '../../src/host/storage/azurite.js';
import { type HostProcess, startHostProcess } from '../support/host-process.js';
import { type IdentityEndpoint, type SelfSignedCert, selfSignedCert, startIdentityEndpoint } from '../support/identity-endpoint.js';
import { eventually } from '../support/stack.js';

const repoRoot = path.join(__dirname, '../..');
const REPLY = path.join(repoRoot, 'dist/scripts/reply.js');
const CLIENT_ID = '11111111-2222-3333-4444-555555555555';

let cert: SelfSignedCert;
let azurite: RunningAzurite;
let dataDir: string;

beforeAll(async () => {
  cert = selfSignedCert();
  azurite = await startAzurite({ oauth: { cert: cert.cert, key: cert.key } });
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'identity-durable-'));
}, 60_000);
afterAll(async () => {
  await azurite?.stop();
  cert?.remove();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

/**
 * The app's environment: the committed sample settings, with storage by identity only; empty
 * values keep a local.settings.json from filling the connection strings back in.
 */
function identityEnv(endpoint: IdentityEndpoint): NodeJS.ProcessEnv {
  const uri = (port: number) => `https://127.0.0.1:${port}/devstoreaccount1`;
  const sample = JSON.parse(fs.readFileSync(path.join(repoRoot, 'local.settings.sample.json'), 'utf8')) as {
    Values: Record<string, string>;
  };
  return {
    ...sample.Values,
    ...endpoint.env,
    NODE_EXTRA_CA_CERTS: cert.cert,
    AzureWebJobsStorage: '',
    ServiceBusConnection: '',
    AzureWebJobsStorage__blobServiceUri: uri(azurite.ports.blob),
    AzureWebJobsStorage__queueServiceUri: uri(azurite.ports.queue),
    AzureWebJobsStorage__tableServiceUri: uri(azurite.ports.table),
    AzureWebJobsStorage__credential: 'managedidentity',
    AzureWebJobsStorage__clientId: CLIENT_ID,
    GATEWAY_REQUEST_CHANNEL: 'blob',
    GATEWAY_BLOB_TRIGGER_SOURCE: 'EventGrid',
  };
}

const hostArgs = () => [repoRoot, '--port', '0', '--no-emulators', '--blob-poll-ms', '100', '--data-dir', dataDir];

describe('identity-based storage connection (local host + gateway, Azurite OAuth over https)', () => {
  let endpoint: IdentityEndpoint;
  let proc: HostProcess | undefined;
  beforeAll(async () => {
    endpoint = await startIdentityEndpoint();
  });
  afterAll(async () => {
    if (proc && proc.child.exitCode === null) {
      proc.child.kill('SIGTERM');
      await proc.exited;
    }
    await endpoint?.close();
  });

  it('a request and its blob reply go through with tokens from the managed identity, and nothing else', async () => {
    proc = await startHostProcess(hostArgs(), identityEnv(endpoint));
    expect(proc.output()).toMatch(
      /Storage AzureWebJobsStorage: identity-based, https:\/\/127\.0\.0\.1:\d+\/devstoreaccount1 \(identity\) as managed identity \(client id 11111111/,
    );
    expect(proc.output()).toMatch(/blobReply: source EventGrid: no Event Grid locally/);

    const submitted = await fetch(`${proc.url}/api/requests/quote`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', prefer: 'respond-async' },
      body: JSON.stringify({ order: 42 }),
    });
    expect(submitted.status).toBe(202);
    const id = submitted.headers.get('location')?.split('/').pop() ?? '';
    expect(id).not.toBe('');

    // The backend is not the app: it replies with the account key, over the same https endpoint.
    execFileSync(process.execPath, [REPLY, id, '{"price": 9.5}', '--status', '201', '--connection', azurite.connectionString], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: cert.cert },
      stdio: 'pipe',
    });

    const answer = await eventually(
      async () => {
        const res = await fetch(`${proc?.url}/api/results/${id}`);
        return res.status === 404 ? undefined : res;
      },
      30_000,
      'the reply',
    );
    expect(answer.status).toBe(201);
    expect(await answer.json()).toEqual({ price: 9.5 });

    // Every token asked for was the storage audience, for our user-assigned identity, with the endpoint's header.
    expect(endpoint.requests.length).toBeGreaterThan(0);
    for (const request of endpoint.requests) {
      expect(request).toEqual({ resource: 'https://storage.azure.com', clientId: CLIENT_ID, identityHeader: endpoint.env.IDENTITY_HEADER });
    }
  }, 90_000);
});

describe('a token the storage account refuses', () => {
  it('stops the host at start with the setting named, not at the first call', async () => {
    const wrong = await startIdentityEndpoint({ audience: 'https://vault.azure.net' });
    try {
      await expect(startHostProcess(hostArgs(), identityEnv(wrong))).rejects.toThrow(
        /Storage from setting AzureWebJobsStorage is unreachable \(https:\/\/127\.0\.0\.1:\d+\/devstoreaccount1 \(identity\)\)/,
      );
      expect(wrong.requests.length).toBeGreaterThan(0);
    } finally {
      await wrong.close();
    }
  }, 60_000);
});

describe('incomplete settings are refused at start, by name', () => {
  let endpoint: IdentityEndpoint;
  beforeAll(async () => {
    endpoint = await startIdentityEndpoint();
  });
  afterAll(async () => {
    await endpoint?.close();
  });
  const refusal = async (env: NodeJS.ProcessEnv): Promise<string> => {
    const error = await startHostProcess(hostArgs(), env).then(
      async (proc) => {
        proc.child.kill('SIGTERM');
        await proc.exited;
        return new Error('the host started');
      },
      (e: unknown) => e as Error,
    );
    return error.message;
  };

  it('an identity connection without its service URIs: the host names the settings to add', async () => {
    const {
      AzureWebJobsStorage__blobServiceUri: _b,
      AzureWebJobsStorage__queueServiceUri: _q,
      AzureWebJobsStorage__tableServiceUri: _t,
      ...env
    } = identityEnv(endpoint);
    expect(await refusal(env)).toMatch(
      /Host did not start: Connection setting AzureWebJobsStorage is an identity-based connection \(AzureWebJobsStorage__credential, AzureWebJobsStorage__clientId\) without a blob, queue, table service URI: set AzureWebJobsStorage__accountName, or AzureWebJobsStorage__blobServiceUri and AzureWebJobsStorage__queueServiceUri and AzureWebJobsStorage__tableServiceUri/,
    );
  }, 60_000);

  it('a Service Bus identity without its namespace: the app does not load, naming the setting', async () => {
    const message = await refusal({ ...identityEnv(endpoint), ServiceBusConnection__credential: 'managedidentity' });
    expect(message).toMatch(/ServiceBusConnection__fullyQualifiedNamespace: is not set, but ServiceBusConnection__credential is/);
  }, 60_000);

  it('a gateway setting the functions read only on first use is checked at app start', async () => {
    const message = await refusal({ ...identityEnv(endpoint), GATEWAY_SYNC_WAIT_SECONDS: 'soon' });
    expect(message).toMatch(/Host did not start: GATEWAY_SYNC_WAIT_SECONDS: expected an integer, got "soon"/);
  }, 60_000);
});
