// The design the gateway's code cites lives in docs/: every `docs/<file>.md#anchor` reference in
// the gateway, the functions, the scripts and the tests, and every relative link between the
// docs, must name a file and an anchor that exist.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..');

function files(dir: string, ending: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) return files(path, ending);
    return path.endsWith(ending) ? [path] : [];
  });
}

// GitHub's heading slugs: lowercase, punctuation dropped, spaces to hyphens.
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const [, id] of markdown.matchAll(/<a id="([^"]+)"><\/a>/g)) anchors.add(id!);
  for (const [, title] of markdown.matchAll(/^#{1,6} (.+)$/gm)) {
    anchors.add(
      title!
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .replace(/ /g, '-'),
    );
  }
  return anchors;
}

function check(target: string, anchor: string | undefined): string | undefined {
  if (!existsSync(join(ROOT, target))) return `${target} does not exist`;
  if (anchor === undefined) return undefined;
  return anchorsOf(readFileSync(join(ROOT, target), 'utf8')).has(anchor) ? undefined : `${target} has no #${anchor}`;
}

describe('references into docs/', () => {
  it('from code and tests resolve', () => {
    const sources = ['src/gateway', 'src/functions', 'scripts', 'test'].flatMap((d) => files(d, '.ts'));
    const broken: string[] = [];
    let seen = 0;
    for (const source of sources) {
      const text = readFileSync(join(ROOT, source), 'utf8');
      for (const [, target, anchor] of text.matchAll(/\b(docs\/[\w.-]+\.md)(?:#([\w-]+))?/g)) {
        seen++;
        const problem = check(target!, anchor);
        if (problem !== undefined) broken.push(`${source}: ${problem}`);
      }
    }
    expect(broken).toEqual([]);
    expect(seen).toBeGreaterThanOrEqual(15);
  });

  it('between the docs (and from the README) resolve', () => {
    const broken: string[] = [];
    for (const doc of [...files('docs', '.md'), 'README.md']) {
      const text = readFileSync(join(ROOT, doc), 'utf8');
      for (const [, target, anchor] of text.matchAll(/\]\(([\w./-]+\.md)?(?:#([\w-]+))?\)/g)) {
        if (target === undefined && anchor === undefined) continue;
        const problem = check(target === undefined ? doc : normalize(join(dirname(doc), target)), anchor);
        if (problem !== undefined) broken.push(`${doc}: ${problem}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('no code names a path outside the repository', () => {
    const sources = ['src/gateway', 'src/functions', 'scripts', 'test'].flatMap((d) => files(d, '.ts'));
    const outside = sources.filter((s) => /\/work\/shared|field note #|style\.md #/.test(readFileSync(join(ROOT, s), 'utf8')));
    expect(outside.filter((s) => s !== 'test/gateway/doc-references.test.ts')).toEqual([]);
  });
});
