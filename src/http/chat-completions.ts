import { randomUUID } from 'node:crypto';
import type { ChatRequestBody, PassThrough } from '../drivers/driver.js';
import { parseChatRequest } from './chat-request.js';
import { chatUsage, type CollectedAnswer } from './collect-answer.js';
import { toOpenAIError } from './openai-errors.js';
import type { AnswerRenderer, AnswerRequest } from './serve-answer.js';

// OpenAI chat completions, as a renderer of the internal answer: whole (`chat.completion`) or as
// `chat.completion.chunk` events ending in [DONE]. What an upstream server sent beyond lifeguard's
// model (refusal, logprobs, system_fingerprint, …) is passed on where it came.
export function chatRenderer(body: ChatRequestBody, meta: { model: string }): AnswerRenderer {
  const id = `chatcmpl-${randomUUID()}`;
  const created = Math.floor(Date.now() / 1000);
  const includeUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
  const chunk = (delta: Record<string, unknown>, finishReason: string | null, passThrough?: PassThrough) => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model: meta.model,
    ...passThrough?.chunk,
    choices: [{ index: 0, delta: { ...delta, ...passThrough?.delta }, finish_reason: finishReason, logprobs: null, ...passThrough?.choice }],
  });

  return {
    complete: (answer: CollectedAnswer) => {
      const { content, toolCalls, passThrough } = answer;
      const silent = content.length === 0 && (toolCalls.length > 0 || typeof passThrough.delta.refusal === 'string');
      const message = { role: 'assistant', content: silent ? null : content, ...(toolCalls.length ? { tool_calls: toolCalls } : {}), ...passThrough.delta };
      return {
        id,
        object: 'chat.completion',
        created,
        model: meta.model,
        ...passThrough.chunk,
        choices: [{ index: 0, message, finish_reason: answer.finishReason, logprobs: null, ...passThrough.choice }],
        usage: chatUsage(answer.usage),
      };
    },
    stream: () => {
      let sentRole = false;
      const role = (content: string | null) => {
        if (sentRole) return {};
        sentRole = true;
        return { role: 'assistant', content };
      };
      return {
        open: () => [],
        event: (event) => {
          if (event.type === 'delta') {
            const delta = { ...role(''), content: event.content };
            return [{ data: JSON.stringify(chunk(delta, null, event.passThrough)) }];
          }
          if (event.type === 'tool_call') return [{ data: JSON.stringify(chunk({ ...role(null), tool_calls: [event.call] }, null, event.passThrough)) }];
          const messages = [{ data: JSON.stringify(chunk(role(''), event.finishReason, event.passThrough)) }];
          if (includeUsage) messages.push({ data: JSON.stringify({ ...chunk({}, null), choices: [], usage: chatUsage(event.usage) }) });
          messages.push({ data: '[DONE]' });
          return messages;
        },
        fail: (error) => [{ data: JSON.stringify(toOpenAIError(error).body) }],
      };
    },
  };
}

/** POST /v1/chat/completions: the request the answer core serves. */
export function chatCompletionsApi(raw: unknown, defaultModel: string): AnswerRequest {
  const body = parseChatRequest(raw);
  return { body, stream: body.stream === true, renderer: chatRenderer(body, { model: body.model ?? defaultModel }) };
}
