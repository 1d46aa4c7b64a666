// The `@azure/functions-core` module the Node worker provides to `@azure/functions`: where every
// `app.*` registration and hook of the app lands, so the host sees what Azure would.
import Module from 'node:module';
import type { BindingDef, FunctionHandler, HookCallback, HookName, Registry } from './registry.js';

const CORE_MODULE = '@azure/functions-core';

interface CoreFunctionMetadata {
  name: string;
  bindings: Record<string, Omit<BindingDef, 'name'>>;
  retryOptions?: unknown;
}

class Disposable {
  constructor(private readonly onDispose: () => void) {}
  dispose(): void {
    this.onDispose();
  }
}

type ResolveSettings = (binding: BindingDef) => BindingDef;
type LogSink = (level: string, category: string, message: string) => void;

interface Capture {
  registry: Registry;
  resolveSettings: ResolveSettings;
  log: LogSink;
}

let active: Capture | undefined;
let installed = false;
let programmingModel: unknown;

function current(): Capture {
  if (!active) throw new Error('The app registered a function outside of app loading; register at module top level.');
  return active;
}

const coreApi = {
  version: '3.10.1',
  hostVersion: '4.1037.0',
  Disposable,
  // `@azure/functions` sets its model once per process, so it is kept here, not per host.
  setProgrammingModel(model: unknown): void {
    programmingModel = model;
  },
  getProgrammingModel(): unknown {
    return programmingModel;
  },
  registerFunction(metadata: CoreFunctionMetadata, handler: FunctionHandler): Disposable {
    const { registry, resolveSettings } = current();
    const bindings = Object.entries(metadata.bindings).map(([name, b]) => resolveSettings({ ...b, name } as BindingDef));
    const trigger = bindings.find((b) => b.type.endsWith('Trigger'));
    if (!trigger) throw new Error(`Function "${metadata.name}" has no trigger binding.`);
    registry.add({ name: metadata.name, trigger, bindings, handler, retry: metadata.retryOptions });
    return new Disposable(() => registry.functions.delete(metadata.name));
  },
  registerHook(name: HookName, callback: HookCallback): Disposable {
    return new Disposable(current().registry.addHook(name, callback));
  },
  log(level: string, category: string, message: string): void {
    (active?.log ?? (() => undefined))(level, category, message);
  },
};

/**
 * The Node worker hands `@azure/functions` a module named `@azure/functions-core` by hooking
 * `require`; every `app.*` registration ends there. We do the same, so the app is loaded exactly
 * as in Azure. It must be in place before the app's first `app.*` call: the library caches a
 * failed lookup for the life of the process ("test mode"), and caches the module it got, which is
 * why one process-wide shim forwards to whichever host is loading its app right now.
 */
function installOnce(): void {
  if (installed) return;
  installed = true;
  const mod = Module as unknown as { prototype: { require: (id: string) => unknown } };
  const original = mod.prototype.require;
  mod.prototype.require = function patchedRequire(this: unknown, id: string) {
    if (id === CORE_MODULE) return coreApi;
    return original.call(this, id);
  };
}

/** Runs `load` (which requires the app's files) with registrations going to `registry`. */
export async function captureRegistrations(
  registry: Registry,
  resolveSettings: ResolveSettings,
  log: LogSink,
  load: () => Promise<void>,
): Promise<void> {
  installOnce();
  if (active) throw new Error('Another host is loading its app in this process; load apps one at a time.');
  active = { registry, resolveSettings, log };
  try {
    await load();
  } finally {
    active = undefined;
  }
}
