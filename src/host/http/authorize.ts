/**
 * Key checks as the Functions host makes them: a key arrives in the `x-functions-key` header or
 * the `code` query parameter (the header wins); `anonymous` routes need none, `function` routes
 * a host function key, one of that function's keys or the master key, `admin` routes (and the
 * admin API) the master key, and an extension's webhooks its system key or the master key.
 * Keys are compared in constant time. Whether keys are enforced at all is decided here too:
 * beyond loopback always, on loopback when asked (Core Tools is open on loopback).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { HostKeys } from './host-keys.js';

export type AuthRequirement =
  | { level: 'anonymous' }
  | { level: 'function'; functionName: string }
  | { level: 'admin' }
  | { level: 'system'; keyName: string };

/** The key a request presents, where the real host looks for it. */
export function presentedKey(headers: Record<string, string | undefined>, url: URL): string | undefined {
  return headers['x-functions-key'] || url.searchParams.get('code') || undefined;
}

/** The requirement of an HTTP trigger from its `authLevel` (the library's default is anonymous). */
export function requirementOf(functionName: string, authLevel: unknown): AuthRequirement {
  const level = typeof authLevel === 'string' ? authLevel.toLowerCase() : 'anonymous';
  if (level === 'anonymous') return { level: 'anonymous' };
  if (level === 'function') return { level: 'function', functionName };
  if (level === 'admin') return { level: 'admin' };
  throw new Error(`Function ${functionName} has authLevel "${String(authLevel)}": use anonymous, function or admin.`);
}

export function isAuthorized(keys: HostKeys, need: AuthRequirement, presented: string | undefined): boolean {
  if (need.level === 'anonymous') return true;
  if (presented === undefined) return false;
  const matches = (candidates: Iterable<string>): boolean => {
    let hit = false;
    // Every candidate is compared, so the time taken doesn't tell which one came close.
    for (const c of candidates) hit = sameSecret(c, presented) || hit;
    return hit;
  };
  if (matches([keys.master])) return true;
  switch (need.level) {
    case 'function':
      return matches([...Object.values(keys.functionKeys), ...Object.values(keys.perFunction[need.functionName.toLowerCase()] ?? {})]);
    case 'system':
      return matches([keys.systemKeys[need.keyName] ?? '']);
    default:
      return false;
  }
}

function sameSecret(expected: string, given: string): boolean {
  if (!expected) return false;
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b);
}

/**
 * Keys are enforced when the host listens beyond loopback, or `requireKeys` / the
 * `FUNCTIONS_REQUIRE_KEYS` setting asks for it; loopback development stays open by default.
 */
export function keysRequired(
  listenHost: string,
  requireKeys: boolean | undefined,
  env: NodeJS.ProcessEnv = process.env,
): { required: boolean; why: string } {
  if (requireKeys) return { required: true, why: 'asked for (--require-keys)' };
  const setting = env.FUNCTIONS_REQUIRE_KEYS?.trim().toLowerCase();
  if (setting === 'true' || setting === '1') return { required: true, why: 'FUNCTIONS_REQUIRE_KEYS is set' };
  if (!isLoopback(listenHost)) return { required: true, why: `the host listens on ${listenHost}, beyond loopback` };
  return { required: false, why: 'loopback only' };
}

function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || /^::ffff:127\./.test(h);
}
