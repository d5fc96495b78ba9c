import type { Context } from 'hono';
import { createHash, timingSafeEqual } from 'node:crypto';

// Compares a presented secret with the configured one in constant time (hashing both first so the
// lengths match and nothing leaks through them).
function secretMatches(secret: string, expected: string): boolean {
  const presented = createHash('sha256').update(secret.trim()).digest();
  const wanted = createHash('sha256').update(expected).digest();
  return timingSafeEqual(presented, wanted);
}

export function bearerMatches(authorization: string | undefined, expected: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(authorization ?? '');
  return match !== null && secretMatches(match[1]!, expected);
}

// The client key: a bearer token, or (for the Anthropic Messages API) Anthropic's `x-api-key` header.
export function clientKeyMatches(c: Context, key: string, acceptXApiKey: boolean): boolean {
  if (bearerMatches(c.req.header('authorization'), key)) return true;
  const presented = c.req.header('x-api-key');
  return acceptXApiKey && presented !== undefined && secretMatches(presented, key);
}

// The tenant whose key the client presented (a bearer token, or `x-api-key` where accepted), or
// null. Every tenant's key is compared, each in constant time, so the time taken tells nothing of
// which one matched.
export function tenantOfRequest(c: Context, tenants: ReadonlyArray<{ name: string; key: string }>, acceptXApiKey: boolean): string | null {
  let found: string | null = null;
  for (const tenant of tenants) if (clientKeyMatches(c, tenant.key, acceptXApiKey) && found === null) found = tenant.name;
  return found;
}

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

/** Headers a proxy adds to what it forwards (RFC 7239's Forwarded, the de-facto X-Forwarded-* and X-Real-IP, Via). */
export const PROXY_HEADERS = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-real-ip', 'via'] as const;

// The first proxy header a request carries, if any: such a request came through a proxy, whatever
// its peer address says.
export function proxyHeaderOf(header: (name: string) => string | undefined): string | null {
  return PROXY_HEADERS.find((name) => header(name) !== undefined) ?? null;
}
