// The deploy files have the shape their tools require. azure.yaml and the GitHub Actions workflow
// are parsed with a real YAML parser and checked for the keys azd and Actions need. The Bicep
// compiler cannot be installed on these machines, so infra/ gets a structural check instead:
// every module path exists, every module gets the params it declares (and no others), every
// module output used is declared, every param is used, API versions are well formed and agree
// across files. `azd provision --preview` is the real compile-and-validate (docs/deploy.md).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type BicepFile, readBicep } from './bicep-source.js';
import { ROOT, readRepoFile } from './settings-sources.js';

type Json = Record<string, unknown>;

const object = (value: unknown): Json => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {});

// azd's supported service languages (azure.yaml schema v1.0).
const AZD_LANGUAGES = ['dotnet', 'csharp', 'fsharp', 'py', 'python', 'js', 'ts', 'java', 'docker', 'custom'];

describe('azure.yaml', () => {
  const azure = object(parse(readRepoFile('azure.yaml')));
  const services = object(azure.services);

  it('names the project and one Function App service built from this folder', () => {
    expect(azure.name).toMatch(/^[a-z0-9][a-z0-9-]{1,62}$/);
    expect(Object.keys(services)).toEqual(['gateway']);
    for (const [name, value] of Object.entries(services)) {
      const service = object(value);
      expect(service.host, name).toBe('function');
      expect(AZD_LANGUAGES, name).toContain(service.language);
      const project = join(ROOT, String(service.project));
      expect(statSync(project).isDirectory(), `${name}.project`).toBe(true);
      expect(existsSync(join(project, 'package.json')) && existsSync(join(project, 'host.json')), `${name}.project holds the app`).toBe(
        true,
      );
    }
  });

  it('the service name is the azd-service-name tag on the Function App', () => {
    expect(readRepoFile('infra/app/function-app.bicep')).toMatch(new RegExp(`'azd-service-name': '${Object.keys(services)[0]}'`));
  });

  it('.funcignore keeps the built app and its package files in the upload, and leaves tests and local state out', () => {
    const patterns = readRepoFile('.funcignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    // Only plain names and *.ext globs are used, so a literal match per path segment is exact enough.
    const ignored = (path: string) =>
      patterns.some((p) =>
        path.split('/').some((_, i, parts) => {
          const prefix = parts.slice(0, i + 1).join('/');
          const glob = new RegExp(
            `^${p
              .replace(/\/$/, '')
              .replace(/[.+^${}()|[\]\\]/g, '\\$&')
              .replace(/\*/g, '[^/]*')}$`,
          );
          return glob.test(prefix) || glob.test(parts[i] ?? '');
        }),
      );
    for (const kept of [
      'dist/src/functions/submitRequest.js',
      'host.json',
      'host.dts.json',
      'package.json',
      'package-lock.json',
      'src/gateway/config.ts',
      'tsconfig.build.json',
    ]) {
      expect(ignored(kept), kept).toBe(false);
    }
    for (const left of [
      'node_modules/durable-functions/package.json',
      'test/deploy/yaml.test.ts',
      '.azurite/__blobstorage__',
      'local.settings.json',
      '.azure/dev/.env',
      'infra/main.bicep',
      'README.md',
    ]) {
      expect(ignored(left), left).toBe(true);
    }
  });

  it('infra points at main.bicep and its parameters file', () => {
    const infra = object(azure.infra);
    expect(infra.provider).toBe('bicep');
    expect(infra.path).toEqual(expect.any(String));
    expect(infra.module).toEqual(expect.any(String));
    const base = join(ROOT, infra.path as string, infra.module as string);
    expect(existsSync(`${base}.bicep`) && existsSync(`${base}.parameters.json`)).toBe(true);
  });

  it('every hook runs a script that exists and is executable', () => {
    const hookSets = [object(azure.hooks), ...Object.values(services).map((s) => object(object(s).hooks))];
    const runs = hookSets.flatMap((hooks) =>
      Object.values(hooks).flatMap((hook) => Object.values(object(hook)).map((platform) => String(object(platform).run))),
    );
    expect(runs.length).toBeGreaterThanOrEqual(3);
    for (const run of runs) {
      const script = join(ROOT, run.split(/\s+/)[0] ?? '');
      expect(existsSync(script), run).toBe(true);
      expect(statSync(script).mode & 0o111, `${run} is executable`).not.toBe(0);
    }
  });
});

describe('.github/workflows/ci.yml', () => {
  const workflow = object(parse(readRepoFile('.github/workflows/ci.yml')));
  const jobs = object(workflow.jobs);
  const steps = (job: string) => (object(jobs[job]).steps as Json[] | undefined) ?? [];
  const runs = (job: string) => steps(job).map((s) => (typeof s.run === 'string' ? s.run.trim() : ''));
  const uses = (job: string, action: string) =>
    steps(job).find((s) => typeof s.uses === 'string' && s.uses.toLowerCase().startsWith(`${action.toLowerCase()}@`));

  it('runs on pull requests and on pushes', () => {
    // YAML 1.2 (the parser's default, as on GitHub) keeps `on` a key, not a boolean.
    const on = object(workflow.on);
    expect(Object.keys(on)).toEqual(expect.arrayContaining(['pull_request', 'push']));
  });

  it('every job has runs-on and steps that each use an action or run a command', () => {
    expect(Object.keys(jobs).length).toBeGreaterThan(0);
    for (const [id, value] of Object.entries(jobs)) {
      expect(object(value)['runs-on'], id).toEqual(expect.any(String));
      expect(steps(id).length, id).toBeGreaterThan(0);
      for (const step of steps(id))
        expect(typeof step.uses === 'string' || typeof step.run === 'string', `${id}: ${JSON.stringify(step)}`).toBe(true);
    }
  });

  it('the test job runs exactly what .ci/run runs, on Node 20', () => {
    const ciRun = readRepoFile('.ci/run')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.startsWith('npm '));
    expect(ciRun.length).toBeGreaterThanOrEqual(3);
    expect(runs('test').filter((r) => r.startsWith('npm '))).toEqual(ciRun);
    expect(String(object(uses('test', 'actions/setup-node')?.with)['node-version'])).toBe('20');
  });

  it('deploys from main only: build, production dependencies, OIDC login, Flex Consumption deploy', () => {
    const deploy = object(jobs.deploy);
    expect(String(deploy.if)).toMatch(/refs\/heads\/main/);
    expect(deploy.needs).toBe('test');
    expect(object(deploy.permissions)['id-token']).toBe('write');
    const commands = runs('deploy').join('\n');
    expect(commands).toMatch(/^npm run build$/m);
    expect(commands).toMatch(/^npm prune --omit=dev\b/m);
    const login = object(uses('deploy', 'azure/login')?.with);
    expect(Object.keys(login).sort()).toEqual(['client-id', 'subscription-id', 'tenant-id']);
    const functions = object(uses('deploy', 'Azure/functions-action')?.with);
    expect(functions.sku).toBe('flexconsumption');
    expect(functions['app-name']).toMatch(/AZURE_FUNCTION_APP_NAME/);
  });

  it('deploys the Node version the Function App runs', () => {
    const runtime = /runtime:\s*\{\s*name:\s*'node'\s*version:\s*'(\d+)'/.exec(readRepoFile('infra/app/function-app.bicep'));
    expect(runtime?.[1]).toBe(String(object(uses('deploy', 'actions/setup-node')?.with)['node-version']));
  });
});

function bicepFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? bicepFiles(join(dir, e.name)) : e.name.endsWith('.bicep') ? [join(dir, e.name)] : [],
  );
}

describe('infra/ Bicep (structure; the compiler is not installable here)', () => {
  const files = new Map(bicepFiles(join(ROOT, 'infra')).map((path) => [path, readBicep(readRepoFile(relative(ROOT, path)))]));
  const name = (path: string) => relative(ROOT, path);

  it('finds main.bicep and its modules', () => {
    expect([...files.keys()].map(name)).toEqual(
      expect.arrayContaining(['infra/main.bicep', 'infra/app/function-app.bicep', 'infra/app/servicebus.bicep', 'infra/app/rbac.bicep']),
    );
  });

  it('every module path exists and gets exactly the params it declares, the required ones included', () => {
    for (const [path, file] of files) {
      for (const module of file.modules) {
        const target = join(dirname(path), module.path);
        const declared = files.get(target);
        expect(declared, `${name(path)}: module ${module.symbol} → ${module.path}`).toBeDefined();
        const given = Object.keys(module.params);
        const where = `${name(path)}: module ${module.symbol}`;
        expect(
          given.filter((p) => !declared?.params.some((d) => d.name === p)),
          `${where} passes params ${name(target)} does not declare`,
        ).toEqual([]);
        const required = (declared?.params ?? []).filter((d) => !d.hasDefault).map((d) => d.name);
        expect(
          required.filter((p) => !given.includes(p)),
          `${where} leaves required params out`,
        ).toEqual([]);
      }
    }
  });

  it('every module output used is declared by that module', () => {
    for (const [path, file] of files) {
      const modules = new Map(file.modules.map((m) => [m.symbol, files.get(join(dirname(path), m.path))]));
      for (const m of file.source.matchAll(/\b(\w+)\.outputs\.(\w+)/g)) {
        const [, symbol = '', output = ''] = m;
        const target: BicepFile | undefined = modules.get(symbol);
        expect(target, `${name(path)}: ${symbol} is not a module`).toBeDefined();
        expect(target?.outputs, `${name(path)}: ${symbol}.outputs.${output}`).toContain(output);
      }
    }
  });

  it('every param is used in its file', () => {
    for (const [path, file] of files) {
      for (const param of file.params) {
        const uses = file.source.match(new RegExp(`\\b${param.name}\\b`, 'g'))?.length ?? 0;
        expect(uses, `${name(path)}: param ${param.name} is declared but never used`).toBeGreaterThan(1);
      }
    }
  });

  it('main.parameters.json passes only params main.bicep declares, and every required one', () => {
    const main = files.get(join(ROOT, 'infra/main.bicep'));
    const given = Object.keys(object(object(JSON.parse(readRepoFile('infra/main.parameters.json'))).parameters));
    expect(given.filter((p) => !main?.params.some((d) => d.name === p))).toEqual([]);
    expect((main?.params ?? []).filter((d) => !d.hasDefault && !given.includes(d.name)).map((d) => d.name)).toEqual([]);
  });

  it('every resource names a dated API version, the same one for a type in every file', () => {
    const versions = new Map<string, Set<string>>();
    for (const [path, file] of files) {
      for (const [symbol, type] of file.resources) {
        if (!type.includes('/')) continue; // a nested child ('config') takes its parent's version
        expect(type, `${name(path)}: resource ${symbol}`).toMatch(/^Microsoft\.[A-Za-z]+(\/[A-Za-z]+)+@\d{4}-\d{2}-\d{2}(-preview)?$/);
        const [resourceType = '', version = ''] = type.split('@');
        versions.set(resourceType, (versions.get(resourceType) ?? new Set()).add(version));
      }
    }
    expect([...versions].filter(([, v]) => v.size > 1).map(([t, v]) => `${t}: ${[...v].join(', ')}`)).toEqual([]);
  });
});
