import { randomUUID } from 'node:crypto';
import type { AnswerEvent, Usage } from '../../drivers/driver.js';
import { uniqueId } from '../../util/unique-id.js';
import { argumentsObject, type CollectedAnswer } from '../collect-answer.js';
import type { AnswerRenderer, SseMessage } from '../serve-answer.js';
import { toAnthropicError } from './anthropic-errors.js';

type Json = Record<string, unknown>;

// A chat finish_reason → Anthropic's stop_reason.
const STOP_REASONS: Record<string, string> = { stop: 'end_turn', length: 'max_tokens', tool_calls: 'tool_use', content_filter: 'refusal' };
const stopReason = (finishReason: string, stopSequence?: string) => (stopSequence !== undefined ? 'stop_sequence' : (STOP_REASONS[finishReason] ?? 'end_turn'));

const usageOf = (usage: Usage) => {
  const cached = (usage.raw?.prompt_tokens_details as { cached_tokens?: number } | undefined)?.cached_tokens;
  return { input_tokens: usage.promptTokens, output_tokens: usage.completionTokens, ...(cached ? { cache_read_input_tokens: cached } : {}) };
};

// Anthropic's Messages API as a renderer of the internal answer: a `message` with text and tool_use
// blocks, or its stream (message_start, content_block_start/delta/stop per block, message_delta, message_stop).
export function messagesRenderer(meta: { model: string }): AnswerRenderer {
  const id = `msg_${uniqueId()}`;
  const message = (content: Json[], extra: Json) => ({ id, type: 'message', role: 'assistant', model: meta.model, content, stop_reason: null, stop_sequence: null, ...extra });

  return {
    complete: (answer: CollectedAnswer) => {
      const content: Json[] = answer.content ? [{ type: 'text', text: answer.content }] : [];
      for (const call of answer.toolCalls) content.push({ type: 'tool_use', id: call.id, name: call.function.name, input: argumentsObject(call.function.arguments) });
      return message(content, { stop_reason: stopReason(answer.finishReason, answer.stopSequence), stop_sequence: answer.stopSequence ?? null, usage: usageOf(answer.usage) });
    },
    stream: () => {
      let index = -1;
      // The block being streamed: text, or the tool call of this index.
      let current: { kind: 'text' } | { kind: 'tool'; callIndex: number } | null = null;
      const emit = (type: string, body: Json = {}): SseMessage => ({ event: type, data: JSON.stringify({ type, ...body }) });
      const close = (): SseMessage[] => {
        if (!current) return [];
        current = null;
        return [emit('content_block_stop', { index })];
      };
      const text = (delta: string): SseMessage[] => {
        const messages: SseMessage[] = [];
        if (current?.kind !== 'text') {
          messages.push(...close());
          current = { kind: 'text' };
          messages.push(emit('content_block_start', { index: ++index, content_block: { type: 'text', text: '' } }));
        }
        messages.push(emit('content_block_delta', { index, delta: { type: 'text_delta', text: delta } }));
        return messages;
      };
      const toolCall = (call: Extract<AnswerEvent, { type: 'tool_call' }>['call']): SseMessage[] => {
        const messages: SseMessage[] = [];
        if (current?.kind !== 'tool' || current.callIndex !== call.index) {
          messages.push(...close());
          current = { kind: 'tool', callIndex: call.index };
          const block = { type: 'tool_use', id: call.id ?? `toolu_${randomUUID().replaceAll('-', '')}`, name: call.function?.name ?? '', input: {} };
          messages.push(emit('content_block_start', { index: ++index, content_block: block }));
        }
        const piece = call.function?.arguments ?? '';
        if (piece) messages.push(emit('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: piece } }));
        return messages;
      };
      return {
        open: () => [emit('message_start', { message: message([], { usage: { input_tokens: 0, output_tokens: 0 } }) })],
        event: (event) => {
          if (event.type === 'delta') return event.content ? text(event.content) : [];
          if (event.type === 'tool_call') return toolCall(event.call);
          return [
            ...close(),
            emit('message_delta', { delta: { stop_reason: stopReason(event.finishReason, event.stopSequence), stop_sequence: event.stopSequence ?? null }, usage: usageOf(event.usage) }),
            emit('message_stop'),
          ];
        },
        fail: (error) => [emit('error', { error: toAnthropicError(error).body.error })],
      };
    },
  };
}
