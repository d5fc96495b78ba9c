import type { PoolContext } from '../../machines/pool-types.js';
import { ConversationLostError } from '../errors.js';
import { shownSessionKey } from './session-key.js';

/** A request as this check sees it: its session key's id and whether it resends a history. */
export interface KeyedRequest {
  key: string | null;
  hasAssistant: boolean;
  /** Keys are scoped to their tenant: another tenant's lost conversation of the same key is not this one. */
  tenant: string;
}

// A client that names its conversation may send only the new message (docs/architecture.md#conversations-and-the-pool): the process holding
// the conversation has the rest. When that process is gone (crash, restart, recycle) and no live one
// holds the key, such a request would be answered without its context — silently. It is refused
// instead (409 conversation_lost); a request that resends the history (it carries an assistant
// message) is served whole as a `lost` route. A lost conversation that never got an answer is not
// refused: its first turn, resent, is its whole history.
export function refuseLostWithoutHistory(context: Pick<PoolContext, 'lost' | 'slots'>, request: KeyedRequest): void {
  const { key } = request;
  if (key === null || request.hasAssistant) return;
  if (context.slots.some((slot) => slot.conversation?.key === key && slot.conversation.tenant === request.tenant)) return;
  if (context.lost.some((gone) => gone.key === key && gone.tenant === request.tenant && gone.digest !== '')) throw new ConversationLostError(shownSessionKey(key)!);
}
