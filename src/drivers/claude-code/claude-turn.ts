import type { AsyncQueue } from '../../util/async-queue.js';
import type { AnswerEvent } from '../driver.js';
import type { McpTool } from './client-tools.js';

/** One Claude Code turn (a user line up to its `result`). With client tools it spans several HTTP
 * answers: each ends at a model message that calls the client's tools, and the next continues it. */
export interface Turn {
  requestId: string;
  text: string;
  /** Images and documents the turn carries, after its text (media-blocks.ts). */
  media: Json[];
  /** The HTTP answer the turn streams into now. */
  queue: AsyncQueue<AnswerEvent>;
  started: boolean;
  cancelled: boolean;
  sent: boolean;
  /** The client tool set to serve before the user line is written (null: leave it as it is). */
  tools: { list: McpTool[]; digest: string } | null;
  /** A client tool round happened: each HTTP answer's usage comes from the stream events. */
  bridged: boolean;
  /** Usage of the API calls since the current HTTP answer began. */
  usage: { input: number; output: number; messageOutput: number };
  /** The last API call's input and output tokens: the context the conversation fills now. */
  lastCall: { input: number; output: number };
  stopReason: string | null;
  /** tool_use blocks of the client's tools in the message being streamed, by content index. */
  blocks: Map<number, { id: string; name: string; json: string }>;
  /** The client tool calls of the current HTTP answer, in order. */
  calls: string[];
  /** The calls whose results the client's next request must bring (the answer ended with them). */
  awaiting: Set<string> | null;
  timer: NodeJS.Timeout | null;
}

export type Json = Record<string, any>;

/** No API call yet in the current HTTP answer. */
export const emptyUsage = () => ({ input: 0, output: 0, messageOutput: 0 });

/** A request's turn, not yet written to the CLI. */
export function newTurn(requestId: string, text: string, media: Json[], queue: AsyncQueue<AnswerEvent>, tools: Turn['tools']): Turn {
  return {
    requestId,
    text,
    media,
    queue,
    started: false,
    cancelled: false,
    sent: false,
    tools,
    bridged: false,
    usage: emptyUsage(),
    lastCall: { input: 0, output: 0 },
    stopReason: null,
    blocks: new Map(),
    calls: [],
    awaiting: null,
    timer: null,
  };
}

export interface StreamEventHooks {
  /** The client's tools the CLI serves now: their tool_use blocks become the answer's tool calls. */
  clientTools(): ReadonlySet<string>;
  /** The answer ended calling the client's tools: the turn waits for their results. */
  park(turn: Turn): void;
}

// One event of the model's stream: text deltas pass on, the client's tool_use blocks become tool
// calls (their arguments whole, as compact JSON), and a message that ends calling them ends the answer.
export function applyStreamEvent(turn: Turn, event: Json, hooks: StreamEventHooks): void {
  if (turn.queue.settled) return;
  switch (event.type) {
    case 'message_start': {
      const usage = (event.message?.usage ?? {}) as Json;
      const input = Number(usage.input_tokens ?? 0) + Number(usage.cache_read_input_tokens ?? 0) + Number(usage.cache_creation_input_tokens ?? 0);
      turn.usage.input += input;
      turn.lastCall = { input, output: 0 };
      turn.usage.messageOutput = Number(usage.output_tokens ?? 0);
      turn.stopReason = null;
      return;
    }
    case 'content_block_start': {
      const block = (event.content_block ?? {}) as Json;
      if (block.type === 'tool_use' && hooks.clientTools().has(String(block.name))) {
        turn.blocks.set(Number(event.index), { id: String(block.id), name: String(block.name), json: '' });
      }
      return;
    }
    case 'content_block_delta': {
      const delta = (event.delta ?? {}) as Json;
      if (delta.type === 'text_delta' && typeof delta.text === 'string') {
        turn.started = true;
        turn.queue.push({ type: 'delta', content: delta.text });
      } else if (delta.type === 'input_json_delta' && typeof delta.partial_json === 'string') {
        const block = turn.blocks.get(Number(event.index));
        if (block) block.json += delta.partial_json;
      }
      return;
    }
    case 'content_block_stop': {
      const block = turn.blocks.get(Number(event.index));
      if (!block) return;
      turn.blocks.delete(Number(event.index));
      let args = block.json.trim() || '{}';
      try {
        args = JSON.stringify(JSON.parse(args));
      } catch {
        // kept as the model wrote it
      }
      turn.started = true;
      turn.queue.push({ type: 'tool_call', call: { index: turn.calls.length, id: block.id, type: 'function', function: { name: block.name, arguments: args } } });
      turn.calls.push(block.id);
      return;
    }
    case 'message_delta':
      if (event.delta?.stop_reason) turn.stopReason = String(event.delta.stop_reason);
      if (event.usage?.output_tokens !== undefined) turn.usage.messageOutput = Number(event.usage.output_tokens);
      return;
    case 'message_stop':
      turn.usage.output += turn.usage.messageOutput;
      turn.lastCall.output = turn.usage.messageOutput;
      turn.usage.messageOutput = 0;
      if (turn.stopReason !== 'tool_use' || turn.calls.length === 0) return;
      turn.bridged = true;
      turn.queue.push({ type: 'done', finishReason: 'tool_calls', usage: { promptTokens: turn.usage.input, completionTokens: turn.usage.output }, context: null });
      turn.queue.end();
      turn.usage = emptyUsage();
      hooks.park(turn);
      return;
    default:
      return;
  }
}
