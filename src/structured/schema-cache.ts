/** Compiled schemas by their source, bounded by the bytes of source compiled. */
export interface SchemaCache<V> {
  get(key: string): V | undefined;
  /**
   * Counts `bytes` of source about to be compiled. When they would pass the budget, everything is let
   * go first and `onFlush` is told (the compiler starts afresh), so the bytes compiled since the last
   * flush — what the compiler holds on to — never pass the budget (one source heavier than the whole
   * budget is compiled alone).
   */
  charge(bytes: number): void;
  set(key: string, value: V): void;
  /** Bytes of source compiled since the last flush. */
  bytes(): number;
  size(): number;
  flushes(): number;
}

// Why whole generations and not least-recently-used eviction: ajv keeps every schema it ever compiled
// (and its generated code) in the instance's scope, so forgetting one cache entry frees nothing; only
// letting the whole ajv instance go does. A pipeline that sends the same few schemas never reaches the
// budget; a client that sends many distinct large ones makes lifeguard start afresh every budget's worth.
export function createSchemaCache<V>(budgetBytes: number, onFlush: () => void): SchemaCache<V> {
  let entries = new Map<string, V>();
  let held = 0;
  let flushes = 0;
  return {
    get: (key) => entries.get(key),
    charge(bytes) {
      if (held > 0 && held + bytes > budgetBytes) {
        entries = new Map();
        held = 0;
        flushes += 1;
        onFlush();
      }
      held += bytes;
    },
    set: (key, value) => void entries.set(key, value),
    bytes: () => held,
    size: () => entries.size,
    flushes: () => flushes,
  };
}
