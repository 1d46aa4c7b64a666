// The client as a browser would run it: the built modules evaluated in a fresh V8 context that
// holds only web platform globals (no require, process, Buffer or node: modules), calling the
// real local stack. A Node-only API anywhere in the client fails here; the build checks the same
// for types (src/client/tsconfig.json: DOM library, no Node types). The globals are Node's own
// implementations of the web standards, so this shows what the client uses, not browser quirks.
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { uniqueOperation } from '../e2e/gateway-client.js';
import { type GatewayStack, startGatewayStack } from '../support/gateway-stack.js';

const DIST = path.join(__dirname, '../../dist/src');

let stack: GatewayStack;

beforeAll(async () => {
  stack = await startGatewayStack({ backend: {} });
});
afterAll(async () => {
  await stack?.stop();
});

// What a page's script sees; each is handed over from Node's own implementation of the standard.
const WEB_GLOBALS = {
  fetch,
  Headers,
  Request,
  Response,
  AbortController,
  AbortSignal,
  DOMException,
  URL,
  TextDecoder,
  TextEncoder,
  Blob,
  setTimeout,
  clearTimeout,
  crypto: { randomUUID: () => crypto.randomUUID() },
  console,
};

/** Loads dist/src/client/index.js the way a bundler would: relative modules only, nothing else resolves. */
function loadInBrowserContext(): Record<string, unknown> {
  const context = vm.createContext({ ...WEB_GLOBALS });
  const cache = new Map<string, Record<string, unknown>>();
  const load = (file: string): Record<string, unknown> => {
    const cached = cache.get(file);
    if (cached !== undefined) return cached;
    const module = { exports: {} as Record<string, unknown> };
    cache.set(file, module.exports);
    type ModuleWrapper = (exports: unknown, require: (specifier: string) => unknown, module: unknown) => void;
    const wrapper = vm.compileFunction(fs.readFileSync(file, 'utf8'), ['exports', 'require', 'module'], {
      parsingContext: context,
      filename: file,
    }) as ModuleWrapper;
    const requireRelative = (specifier: string): Record<string, unknown> => {
      if (!specifier.startsWith('.')) throw new Error(`${path.relative(DIST, file)} requires "${specifier}", which no browser has`);
      return load(path.resolve(path.dirname(file), specifier));
    };
    wrapper(module.exports, requireRelative, module);
    cache.set(file, module.exports);
    return module.exports;
  };
  return load(path.join(DIST, 'client/index.js'));
}

it('the built client runs with web globals only and gets its answer from the real gateway', async () => {
  const client = loadInBrowserContext() as {
    callGateway: (...args: unknown[]) => Promise<{ status: number; text(): string; idempotencyKey: string }>;
  };
  const operation = uniqueOperation('browser');
  const answer = await client.callGateway(stack.url, operation, { from: 'a page' }, { respondAsync: true, idempotencyKey: true });
  expect(answer.status).toBe(200);
  expect(JSON.parse(answer.text())).toMatchObject({ operation, echo: { from: 'a page' } });
  expect(answer.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
});
