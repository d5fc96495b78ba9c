type Json = Record<string, unknown>;

/** A remembered output item and its size as JSON (bytes), measured once when it is remembered. */
export interface RecentItem {
  item: Json;
  bytes: number;
}

/** Output items lifeguard answered lately, by id, so an `item_reference` to one of them resolves. */
export interface RecentItems {
  remember(items: Json[]): void;
  find(id: string): RecentItem | undefined;
}

// A bounded memory (the oldest go first), not a store: clients such as the Vercel AI SDK refer to the
// assistant's earlier output items by id (`item_reference`) instead of resending them.
export function createRecentItems(capacity: number): RecentItems {
  const items = new Map<string, RecentItem>();
  return {
    remember(output) {
      for (const item of output) {
        if (typeof item.id !== 'string') continue;
        items.delete(item.id);
        items.set(item.id, { item, bytes: Buffer.byteLength(JSON.stringify(item)) });
        if (items.size > capacity) items.delete(items.keys().next().value!);
      }
    },
    find: (id) => items.get(id),
  };
}
