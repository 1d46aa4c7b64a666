// The design the code cites lives in docs/: every `docs/<file>.md#anchor` reference in the
// gateway, the functions, the local host, the emulators, the scripts and the tests, and every
// relative link between the docs (and from the READMEs), must name a file and an anchor that exist.
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

/**
 * A doc's text by top-level section, with the file its links are relative to (the doc itself).
 * Headings inside fenced blocks are quoted text, not sections.
 */
function sectionsOf(doc: string): { text: string; from: string }[] {
  const sections: { text: string; from: string }[] = [{ text: '', from: doc }];
  let fenced = false;
  for (const line of readFileSync(join(ROOT, doc), 'utf8').split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const heading = !fenced && /^#{1,2} /.test(line);
    if (heading) sections.push({ text: '', from: doc });
    const current = sections[sections.length - 1]!;
    current.text += `${line}\n`;
  }
  return sections;
}

const CODE = ['src/gateway', 'src/functions', 'src/host', 'src/emulators', 'scripts', 'test'];
/** Markdown beside the code (the endpoint's README) links into docs/ too. */
const MARKDOWN = [...files('docs', '.md'), ...files('src', '.md'), 'README.md'];

describe('references into docs/', () => {
  it('from code and tests resolve', () => {
    const sources = CODE.flatMap((d) => files(d, '.ts'));
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
    expect(seen).toBeGreaterThanOrEqual(19);
  });

  it('from code name the design notes by their docs/ path, so the check above sees them', () => {
    const sources = CODE.flatMap((d) => files(d, '.ts')).filter((s) => s !== 'test/gateway/doc-references.test.ts');
    const bare: string[] = [];
    for (const source of sources) {
      const text = readFileSync(join(ROOT, source), 'utf8');
      for (const [, name] of text.matchAll(/(?<![\w/.-])([\w-]+\.md)\b/g)) {
        if (name !== 'README.md') bare.push(`${source}: ${name}`);
      }
    }
    expect(bare).toEqual([]);
  });

  it('between the docs (and from the READMEs) resolve', () => {
    const broken: string[] = [];
    for (const doc of MARKDOWN) {
      for (const { text, from } of sectionsOf(doc)) {
        for (const [, target, anchor] of text.matchAll(/\]\(([\w./-]+\.md)?(?:#([\w-]+))?\)/g)) {
          if (target === undefined && anchor === undefined) continue;
          const problem = check(target === undefined ? from : normalize(join(dirname(from), target)), anchor);
          if (problem !== undefined) broken.push(`${doc}: ${problem}`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('no code names a path outside the repository', () => {
    const sources = [...CODE.flatMap((d) => files(d, '.ts')), ...MARKDOWN];
    const outside = sources.filter((s) =>
      /\/work\/|\/home\/|field note #|style\.md #|shared\/design/.test(readFileSync(join(ROOT, s), 'utf8')),
    );
    expect(outside.filter((s) => s !== 'test/gateway/doc-references.test.ts')).toEqual([]);
  });
});
