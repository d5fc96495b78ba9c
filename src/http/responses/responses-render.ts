import { randomUUID } from 'node:crypto';
import type { AnswerEvent, Usage } from '../../drivers/driver.js';
import type { CollectedAnswer } from '../collect-answer.js';
import { toOpenAIError } from '../openai-errors.js';
import type { AnswerRenderer, SseMessage } from '../serve-answer.js';

type Json = Record<string, unknown>;

const shortId = () => randomUUID().replaceAll('-', '');

const usageOf = (usage: Usage) => {
  const details = usage.raw?.prompt_tokens_details as { cached_tokens?: number } | undefined;
  const reasoning = usage.raw?.completion_tokens_details as { reasoning_tokens?: number } | undefined;
  return {
    input_tokens: usage.promptTokens,
    input_tokens_details: { cached_tokens: details?.cached_tokens ?? 0 },
    output_tokens: usage.completionTokens,
    output_tokens_details: { reasoning_tokens: reasoning?.reasoning_tokens ?? 0 },
    total_tokens: usage.promptTokens + usage.completionTokens,
  };
};

// A chat finish_reason → the Responses status and why it is incomplete.
const statusOf = (finishReason: string) =>
  finishReason === 'length'
    ? { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } }
    : finishReason === 'content_filter'
      ? { status: 'incomplete', incomplete_details: { reason: 'content_filter' } }
      : { status: 'completed', incomplete_details: null };

const messageItem = (id: string, text: string, status: string) => ({
  type: 'message',
  id,
  status,
  role: 'assistant',
  content: status === 'in_progress' ? [] : [textPart(text)],
});
const textPart = (text: string) => ({ type: 'output_text', text, annotations: [], logprobs: [] });
const callItem = (id: string, call: { callId: string; name: string; arguments: string }, status: string) => ({
  type: 'function_call',
  id,
  call_id: call.callId,
  name: call.name,
  arguments: call.arguments,
  status,
});

// OpenAI's Responses API as a renderer of the internal answer: a `response` object, or its stream of
// events (response.created … response.output_text.delta … response.completed), each numbered.
export function responsesRenderer(echo: Json, meta: { model: string }, remember: (output: Json[]) => void = () => undefined): AnswerRenderer {
  const id = `resp_${shortId()}`;
  const createdAt = Math.floor(Date.now() / 1000);
  const response = (status: string, output: Json[], extra: Json = {}) => ({
    id,
    object: 'response',
    created_at: createdAt,
    status,
    error: null,
    incomplete_details: null,
    instructions: echo.instructions ?? null,
    max_output_tokens: echo.max_output_tokens ?? null,
    model: meta.model,
    output,
    parallel_tool_calls: echo.parallel_tool_calls ?? true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    store: false,
    temperature: echo.temperature ?? null,
    text: echo.text ?? { format: { type: 'text' } },
    tool_choice: echo.tool_choice ?? 'auto',
    tools: echo.tools ?? [],
    top_p: echo.top_p ?? null,
    truncation: 'disabled',
    usage: null,
    user: echo.user ?? null,
    metadata: echo.metadata ?? {},
    ...extra,
  });

  return {
    complete: (answer: CollectedAnswer) => {
      const output: Json[] = [];
      if (answer.content || answer.toolCalls.length === 0) output.push(messageItem(`msg_${shortId()}`, answer.content, 'completed'));
      for (const call of answer.toolCalls) {
        output.push(callItem(`fc_${shortId()}`, { callId: call.id, name: call.function.name, arguments: call.function.arguments }, 'completed'));
      }
      const { status, incomplete_details } = statusOf(answer.finishReason);
      remember(output);
      return response(status, output, { incomplete_details, usage: usageOf(answer.usage) });
    },
    stream: () => {
      let sequence = 0;
      const output: Json[] = [];
      // The item being streamed: a message (its text so far) or a function call (by the call's index).
      let current: { kind: 'message'; id: string; text: string } | { kind: 'call'; index: number; id: string; callId: string; name: string; arguments: string } | null = null;
      const emit = (type: string, body: Json): SseMessage => ({ event: type, data: JSON.stringify({ type, sequence_number: sequence++, ...body }) });
      const outputIndex = () => output.length;

      const close = (): SseMessage[] => {
        const item = current;
        if (!item) return [];
        current = null;
        const index = outputIndex();
        if (item.kind === 'message') {
          const done = messageItem(item.id, item.text, 'completed');
          output.push(done);
          return [
            emit('response.output_text.done', { item_id: item.id, output_index: index, content_index: 0, text: item.text, logprobs: [] }),
            emit('response.content_part.done', { item_id: item.id, output_index: index, content_index: 0, part: textPart(item.text) }),
            emit('response.output_item.done', { output_index: index, item: done }),
          ];
        }
        const done = callItem(item.id, item, 'completed');
        output.push(done);
        return [
          emit('response.function_call_arguments.done', { item_id: item.id, output_index: index, arguments: item.arguments }),
          emit('response.output_item.done', { output_index: index, item: done }),
        ];
      };

      const text = (delta: string): SseMessage[] => {
        const messages: SseMessage[] = [];
        if (current?.kind !== 'message') {
          messages.push(...close());
          current = { kind: 'message', id: `msg_${shortId()}`, text: '' };
          messages.push(
            emit('response.output_item.added', { output_index: outputIndex(), item: messageItem(current.id, '', 'in_progress') }),
            emit('response.content_part.added', { item_id: current.id, output_index: outputIndex(), content_index: 0, part: textPart('') }),
          );
        }
        current.text += delta;
        if (delta) messages.push(emit('response.output_text.delta', { item_id: current.id, output_index: outputIndex(), content_index: 0, delta, logprobs: [] }));
        return messages;
      };

      const toolCall = (call: Extract<AnswerEvent, { type: 'tool_call' }>['call']): SseMessage[] => {
        const messages: SseMessage[] = [];
        if (current?.kind !== 'call' || current.index !== call.index) {
          messages.push(...close());
          const opened = { kind: 'call' as const, index: call.index, id: `fc_${shortId()}`, callId: call.id ?? `call_${shortId()}`, name: call.function?.name ?? '', arguments: '' };
          current = opened;
          messages.push(emit('response.output_item.added', { output_index: outputIndex(), item: callItem(opened.id, opened, 'in_progress') }));
        }
        const piece = call.function?.arguments ?? '';
        current.arguments += piece;
        if (piece) messages.push(emit('response.function_call_arguments.delta', { item_id: current.id, output_index: outputIndex(), delta: piece }));
        return messages;
      };

      return {
        keepsAnswer: true,
        open: () => [emit('response.created', { response: response('in_progress', []) }), emit('response.in_progress', { response: response('in_progress', []) })],
        event: (event) => {
          if (event.type === 'delta') return event.content ? text(event.content) : [];
          if (event.type === 'tool_call') return toolCall(event.call);
          const messages = output.length || current ? close() : text('').concat(close());
          const { status, incomplete_details } = statusOf(event.finishReason);
          const final = response(status, output, { incomplete_details, usage: usageOf(event.usage) });
          remember(output);
          messages.push(emit(status === 'completed' ? 'response.completed' : 'response.incomplete', { response: final }));
          return messages;
        },
        fail: (error) => {
          const { error: body } = toOpenAIError(error).body;
          return [emit('error', { code: body.code, message: body.message, param: body.param ?? null })];
        },
      };
    },
  };
}
