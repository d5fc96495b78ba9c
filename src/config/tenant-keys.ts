import type { Isolation } from '../../machines/pool-types.js';

/** One client key and the tenant it names (docs/http-api.md, docs/architecture.md#conversations-and-the-pool). */
export interface TenantKey {
  name: string;
  key: string;
  /** The tenant's own isolation; null: the pool's. */
  isolation: Isolation | null;
}

/** The tenant of the single --api-key, and of every request when no key is configured. */
export const DEFAULT_TENANT = 'default';
export const ANONYMOUS_TENANT = 'anonymous';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const ISOLATIONS: readonly string[] = ['conversation', 'tenant', 'shared', 'isolated'];

/** `isolated` is the old name of `conversation`. */
export const canonicalIsolation = (value: string): Isolation => (value === 'isolated' ? 'conversation' : (value as Isolation));

// api_keys as given: text `name=key,…` (flag, variable) or a mapping of name to key or to
// {key, isolation} (config file) → the tenants, or one problem line per bad entry.
export function parseTenantKeys(value: unknown, from: string): { tenants: TenantKey[]; problems: string[] } {
  const problems: string[] = [];
  const entries: Array<[string, unknown]> = [];
  if (typeof value === 'string') {
    for (const part of value.split(',').map((p) => p.trim()).filter(Boolean)) {
      const eq = part.indexOf('=');
      if (eq <= 0 || eq === part.length - 1) problems.push(`api_keys: "${part.replace(/=.*/, '=…')}" (from ${from}) is not name=key`);
      else entries.push([part.slice(0, eq).trim(), part.slice(eq + 1).trim()]);
    }
  } else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    entries.push(...Object.entries(value));
  } else {
    problems.push(`api_keys: a ${Array.isArray(value) ? 'list' : typeof value} (from ${from}) is not name=key pairs nor a mapping of name to key`);
  }
  const tenants: TenantKey[] = [];
  for (const [name, entry] of entries) {
    if (!NAME.test(name)) {
      problems.push(`api_keys: tenant name ${JSON.stringify(name)} (from ${from}) is not 1–64 letters, digits, '_', '.' or '-'`);
      continue;
    }
    const spec = typeof entry === 'string' ? { key: entry } : entry;
    if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
      problems.push(`api_keys: tenant ${name} (from ${from}) has no key (expected a string or {key, isolation})`);
      continue;
    }
    const { key, isolation, ...rest } = spec as Record<string, unknown>;
    if (typeof key !== 'string' || key.trim() === '') problems.push(`api_keys: tenant ${name} (from ${from}) has no non-empty key`);
    else if (isolation !== undefined && (typeof isolation !== 'string' || !ISOLATIONS.includes(isolation))) {
      problems.push(`api_keys: tenant ${name}'s isolation ${JSON.stringify(isolation)} (from ${from}) is not one of ${ISOLATIONS.join(', ')}`);
    } else if (Object.keys(rest).length > 0) problems.push(`api_keys: tenant ${name} (from ${from}) has unknown fields ${Object.keys(rest).join(', ')} (known: key, isolation)`);
    else tenants.push({ name, key: key.trim(), isolation: typeof isolation === 'string' ? canonicalIsolation(isolation) : null });
  }
  const names = new Set<string>();
  const keys = new Set<string>();
  for (const tenant of tenants) {
    if (names.has(tenant.name)) problems.push(`api_keys: tenant ${tenant.name} (from ${from}) is named twice`);
    if (keys.has(tenant.key)) problems.push(`api_keys: tenant ${tenant.name} (from ${from}) has the key of another tenant`);
    names.add(tenant.name);
    keys.add(tenant.key);
  }
  return { tenants, problems };
}

// Every tenant of the configuration: the named keys and the single api_key (as `default`).
export function tenantsOf(apiKeys: TenantKey[] | null, apiKey: string | null): TenantKey[] {
  const tenants = [...(apiKeys ?? [])];
  if (apiKey) tenants.push({ name: DEFAULT_TENANT, key: apiKey, isolation: null });
  return tenants;
}
