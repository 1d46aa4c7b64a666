// The console page as one response: static/page.html with static/page.css and static/page.js
// inlined, so a function key in the page's URL (Azure) is needed once, not on every asset. The
// files sit beside this module (`npm run build` copies static/ into dist/ next to the compiled
// one), so the same lookup works from dist/ locally and in the package Azure runs.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ConsolePage {
  html: string;
  headers: Record<string, string>;
}

function hashSource(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

// `$` patterns in a replacement string would be interpreted: a function replacer inserts as is.
function inline(template: string, marker: string, content: string): string {
  if (!template.includes(marker)) throw new Error(`console page template lacks ${marker}`);
  return template.replace(marker, () => content);
}

export function buildConsolePage(dir: string = join(__dirname, 'static')): ConsolePage {
  const read = (name: string) => readFileSync(join(dir, name), 'utf8');
  const style = read('page.css');
  const script = read('page.js');
  const html = inline(inline(read('page.html'), '/*STYLE*/', style), '/*SCRIPT*/', script);
  // Only this script and this style run: injected markup could neither execute nor load anything.
  const policy = [
    "default-src 'none'",
    `script-src ${hashSource(script)}`,
    `style-src ${hashSource(style)}`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return {
    html,
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': policy,
      // The URL may carry ?code=<function key>: never send it on, never keep the page.
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    },
  };
}

let cached: ConsolePage | undefined;

/** Built once per process: the files don't change under a running app. */
export function consolePage(): ConsolePage {
  cached ??= buildConsolePage();
  return cached;
}
