// RFC 7240 `Prefer`: `respond-async` asks for 202 + Location, `wait=N` bounds the synchronous
// wait. Together (`respond-async, wait=10`) they mean "wait up to 10 s, then answer 202" (RFC 7240
// §4.1), which is what the gateway does. Unknown preferences are ignored, as the RFC asks;
// malformed syntax or a bad `wait` is a 400 so a client typo never silently means "wait 30 s".
import type { GatewayConfig } from './config.js';
import { GatewayError } from './errors.js';

export interface Preferences {
  respondAsync: boolean;
  waitSeconds?: number;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

// Splits on `separator` outside quoted strings; throws on an unterminated quote.
function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charAt(i);
    if (quoted && ch === '\\') {
      current += ch + text.charAt(i + 1);
      i++;
      continue;
    }
    if (ch === '"') quoted = !quoted;
    if (ch === separator && !quoted) {
      parts.push(current);
      current = '';
      continue;
    }
    current += ch;
  }
  if (quoted) throw invalid('unterminated quoted string');
  parts.push(current);
  return parts;
}

function invalid(why: string): GatewayError {
  return new GatewayError('invalid-prefer', `Prefer header: ${why}.`);
}

function unquote(word: string): string {
  return word.startsWith('"') && word.endsWith('"') && word.length >= 2 ? word.slice(1, -1).replace(/\\(.)/g, '$1') : word;
}

export function parsePrefer(header: string | null | undefined): Preferences {
  const prefs: Preferences = { respondAsync: false };
  if (header === null || header === undefined) return prefs;
  const seen = new Set<string>();
  for (const element of splitOutsideQuotes(header, ',')) {
    const [head = ''] = splitOutsideQuotes(element, ';');
    if (head.trim() === '') continue; // empty list elements are allowed by the `#` rule
    const eq = head.indexOf('=');
    const name = (eq < 0 ? head : head.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? undefined : unquote(head.slice(eq + 1).trim());
    if (!TOKEN.test(name)) throw invalid(`"${name}" is not a preference token`);
    // RFC 7240 §2: when a preference repeats, only the first counts.
    if (seen.has(name)) continue;
    seen.add(name);
    if (name === 'respond-async') prefs.respondAsync = true;
    if (name === 'wait') {
      if (value === undefined || !/^\d{1,9}$/.test(value)) throw invalid('wait must be a whole number of seconds');
      prefs.waitSeconds = Number(value);
    }
  }
  return prefs;
}

export interface WaitPlan {
  mode: 'sync' | 'async';
  /** How long the submit call waits for the reply: 0 for plain respond-async. */
  waitMs: number;
  /** The `wait=N` actually applied (after clamping), when the client sent one. */
  appliedWaitSeconds?: number;
}

export function planWait(prefs: Preferences, config: Pick<GatewayConfig, 'syncWaitSeconds' | 'maxSyncWaitSeconds'>): WaitPlan {
  const clamp = (s: number) => Math.min(Math.max(s, 1), config.maxSyncWaitSeconds);
  const applied = prefs.waitSeconds === undefined ? undefined : clamp(prefs.waitSeconds);
  if (prefs.respondAsync) {
    return applied === undefined ? { mode: 'async', waitMs: 0 } : { mode: 'async', waitMs: applied * 1000, appliedWaitSeconds: applied };
  }
  const seconds = applied ?? config.syncWaitSeconds;
  return applied === undefined
    ? { mode: 'sync', waitMs: seconds * 1000 }
    : { mode: 'sync', waitMs: seconds * 1000, appliedWaitSeconds: applied };
}

/** The `Preference-Applied` value for the answer given, or undefined when nothing was honoured. */
export function preferenceApplied(plan: WaitPlan, answeredAsync: boolean): string | undefined {
  const parts: string[] = [];
  if (answeredAsync) parts.push('respond-async');
  if (plan.appliedWaitSeconds !== undefined) parts.push(`wait=${plan.appliedWaitSeconds}`);
  return parts.length > 0 ? parts.join(', ') : undefined;
}
