import type { SessionHooks } from '../driver.js';
import type { Turn } from './claude-turn.js';

export interface ParkedCallsDeps {
  /** How long parked calls wait for the client's results (tool_call_timeout_ms). */
  timeoutMs: number;
  hooks: Pick<SessionHooks, 'parked' | 'recycle'>;
  warn(message: string): void;
  /** Interrupts the CLI's turn in progress. */
  interrupt(): void;
  /** Tells the CLI that calls it still waits on get no result. */
  abandonCalls(ids: string[]): void;
}

// The client's tool calls an answer ended with wait for the client's next request, parked on their turn;
// the process counts as busy meanwhile. No result within tool_call_timeout_ms: the turn is interrupted
// and the process recycled.
export class ParkedCalls {
  constructor(private readonly deps: ParkedCallsDeps) {}

  park(turn: Turn): void {
    const { hooks, timeoutMs, warn } = this.deps;
    turn.awaiting = new Set(turn.calls);
    turn.calls = [];
    hooks.parked?.(turn.awaiting.size);
    turn.timer = setTimeout(() => {
      if (!turn.awaiting) return;
      warn(`no result for ${turn.awaiting.size} client tool call(s) within ${timeoutMs} ms (tool_call_timeout_ms): the turn is interrupted and the process recycled`);
      this.abandon(turn);
      hooks.recycle?.('tool_call_timeout');
    }, timeoutMs);
  }

  /** The turn waits no more (its results came, or it ended): the calls it waited on. */
  release(turn: Turn): string[] {
    const ids = [...(turn.awaiting ?? [])];
    if (turn.timer) clearTimeout(turn.timer);
    turn.timer = null;
    if (turn.awaiting) this.deps.hooks.parked?.(0);
    turn.awaiting = null;
    return ids;
  }

  // The client will not continue the turn (a timeout, another conversation's request): it is interrupted
  // and its rest discarded; its calls get an error answer if the CLI still waits for them.
  abandon(turn: Turn): void {
    const ids = this.release(turn);
    turn.cancelled = true;
    this.deps.interrupt();
    this.deps.abandonCalls(ids);
  }
}
