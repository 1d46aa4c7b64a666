// Loads a Functions v4 app the way the Node worker does: its `main` files, registrations captured
// through the `@azure/functions-core` shim, and the app's own copy of `@azure/functions`.

import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type AppConfig, resolveBindingSettings } from './app-config.js';
import { captureRegistrations } from './core-api-shim.js';
import { globFiles } from './glob.js';
import { Registry } from './registry.js';

/** The app's own `@azure/functions`: one copy only, or `instanceof HttpResponse` fails. */
export type FunctionsLibrary = typeof import('@azure/functions');

export interface LoadedApp {
  registry: Registry;
  library: FunctionsLibrary;
  files: string[];
}

// Compiled ESM apps must be imported natively; a bundler-transformed `import()` (vitest) would not
// share Node's module cache with the app's own requires.
// eslint-disable-next-line @typescript-eslint/no-implied-eval -- the only way to keep import() native under a bundler
const nativeImport = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<unknown>;

export async function loadApp(config: AppConfig, log: (level: string, message: string) => void): Promise<LoadedApp> {
  const files = globFiles(config.appDir, config.main);
  if (files.length === 0) {
    throw new Error(`package.json "main" (${config.main}) matches no file in ${config.appDir}; is the app built?`);
  }
  const appRequire = createRequire(path.join(config.appDir, 'package.json'));
  const registry = new Registry();
  forgetAppModules(config.appDir);
  await captureRegistrations(
    registry,
    (b) => resolveBindingSettings(b),
    (level, _cat, msg) => log(level, msg),
    async () => {
      for (const file of files) {
        if (file.endsWith('.mjs') || isEsmPackage(appRequire, file)) await nativeImport(pathToFileURL(file).href);
        else appRequire(file);
      }
    },
  );
  const library = appRequire('@azure/functions') as FunctionsLibrary;
  return { registry, library, files };
}

/**
 * A second host in the same process (tests that restart the host) must see the app register
 * again, so the app's own modules (not its packages) are dropped from the require cache.
 */
function forgetAppModules(appDir: string): void {
  const prefix = path.resolve(appDir) + path.sep;
  for (const key of Object.keys(require.cache)) {
    if (key.startsWith(prefix) && !key.includes(`${path.sep}node_modules${path.sep}`)) delete require.cache[key];
  }
}

function isEsmPackage(appRequire: NodeJS.Require, file: string): boolean {
  if (file.endsWith('.cjs')) return false;
  let dir = path.dirname(file);
  for (;;) {
    try {
      const pkg = appRequire(path.join(dir, 'package.json')) as { type?: string };
      return pkg.type === 'module';
    } catch {
      const parent = path.dirname(dir);
      if (parent === dir) return false;
      dir = parent;
    }
  }
}
