import { createHash, timingSafeEqual } from 'node:crypto';

// Compares a presented bearer token with the configured one in constant time (hashing both first
// so the lengths match and nothing leaks through them).
export function bearerMatches(authorization: string | undefined, expected: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(authorization ?? '');
  if (!match) return false;
  const presented = createHash('sha256').update(match[1]!.trim()).digest();
  const wanted = createHash('sha256').update(expected).digest();
  return timingSafeEqual(presented, wanted);
}

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}
