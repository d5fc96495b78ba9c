import { createHash } from 'node:crypto';
import { InvalidRequestError } from '../errors.js';

/** The longest session key accepted (`X-Session-Id` header or `prompt_cache_key`), in characters. */
export const MAX_SESSION_KEY_CHARS = 256;

/** How many hex digits of a session key's hash are ever shown (health, events, logs, errors). */
const SHOWN_HEX = 8;

// A session key names a conversation and whoever presents it continues that conversation, so it is a
// credential: lifeguard keeps only its SHA-256 (the pool's conversation table holds the hex digest)
// and shows at most the first 8 hex digits of that. Every place that reads a client's session key goes
// through here, so scoping keys (to a tenant, say) is one change: what goes into the hash.
export function sessionKeyId(header: string | null | undefined, promptCacheKey: unknown): string | null {
  const named = checked('prompt_cache_key', promptCacheKey);
  const given = checked('X-Session-Id', header) ?? named;
  return given === null ? null : createHash('sha256').update(given).digest('hex');
}

/** The short form of a session key's id for what anyone may read: the first 8 hex digits, or null. */
export const shownSessionKey = (id: string | null | undefined): string | null => (id ? id.slice(0, SHOWN_HEX) : null);

function checked(field: string, value: unknown): string | null {
  if (typeof value !== 'string' || value === '') return null;
  if (value.length > MAX_SESSION_KEY_CHARS) {
    throw new InvalidRequestError(
      field,
      `Invalid value for '${field}': a session key is at most ${MAX_SESSION_KEY_CHARS} characters, got ${value.length} (the key itself is not repeated: it is a credential)`,
    );
  }
  return value;
}
