import fs from 'node:fs';
import path from 'node:path';

/**
 * The few glob forms `package.json` `main` takes in Functions apps (`dist/src/functions/*.js`,
 * `dist/**\/*.js`, `{a,b}`). Node 20 has no `fs.glob`, and a dependency for this is not worth it.
 */
export function globFiles(root: string, pattern: string): string[] {
  const segments = pattern.replace(/\\/g, '/').replace(/^\.\//, '').split('/').filter(Boolean);
  const out: string[] = [];
  walk(root, segments, out);
  return [...new Set(out)].sort();
}

function walk(dir: string, segments: string[], out: string[]): void {
  const [head, ...rest] = segments;
  if (head === undefined) return;
  if (head === '**') {
    walk(dir, rest, out);
    for (const entry of listDir(dir)) {
      if (entry.isDirectory() && entry.name !== 'node_modules') walk(path.join(dir, entry.name), segments, out);
    }
    return;
  }
  if (!/[*?{[]/.test(head)) {
    const next = path.join(dir, head);
    if (rest.length === 0) {
      if (isFile(next)) out.push(next);
    } else walk(next, rest, out);
    return;
  }
  const re = segmentToRegExp(head);
  for (const entry of listDir(dir)) {
    if (!re.test(entry.name)) continue;
    const next = path.join(dir, entry.name);
    if (rest.length === 0) {
      if (entry.isFile()) out.push(next);
    } else if (entry.isDirectory()) walk(next, rest, out);
  }
}

export function segmentToRegExp(segment: string): RegExp {
  let re = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i] as string;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '{') {
      const close = segment.indexOf('}', i);
      if (close < 0) throw new Error(`Unclosed "{" in glob segment "${segment}".`);
      re +=
        '(?:' +
        segment
          .slice(i + 1, close)
          .split(',')
          .map(escape)
          .join('|') +
        ')';
      i = close;
    } else re += escape(c);
  }
  return new RegExp(`^${re}$`);
}

function escape(s: string): string {
  return s.replace(/[.+^${}()|[\]\\*?]/g, '\\$&');
}

function listDir(dir: string): fs.Dirent[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}
