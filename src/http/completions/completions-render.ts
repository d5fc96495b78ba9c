import type { AnswerEvent, ChatRequestBody, Usage } from '../../drivers/driver.js';
import { uniqueId } from '../../util/unique-id.js';
import { chatUsage, type CollectedAnswer } from '../collect-answer.js';
import { sumUsage } from '../compat/serve-choices.js';
import { toOpenAIError } from '../openai-errors.js';
import type { AnswerRenderer, SseMessage } from '../serve-answer.js';

// Legacy completions as a renderer of the internal answer: `text_completion` objects whose choices
// carry `text`, whole or streamed (each chunk a `text_completion` with its choice's index, then [DONE]).
// A tool call has no place here: a legacy request carries no tools, so none is asked for.
export function completionsRenderer(body: ChatRequestBody, meta: { model: string }): AnswerRenderer {
  const id = `cmpl-${uniqueId()}`;
  const created = Math.floor(Date.now() / 1000);
  const includeUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
  const object = (choices: unknown[], extra: Record<string, unknown> = {}) => ({ id, object: 'text_completion', created, model: meta.model, choices, ...extra });
  const complete = (answers: CollectedAnswer[]) =>
    object(
      answers.map((answer, index) => ({ text: answer.content, index, logprobs: null, finish_reason: answer.finishReason })),
      { usage: chatUsage(sumUsage(answers.map((a) => a.usage))) },
    );
  const choicesStream = () => ({
    open: (): SseMessage[] => [],
    event: (event: AnswerEvent, index: number): SseMessage[] => {
      if (event.type === 'delta') return event.content ? [{ data: JSON.stringify(object([{ text: event.content, index, logprobs: null, finish_reason: null }])) }] : [];
      if (event.type === 'tool_call') return [];
      return [{ data: JSON.stringify(object([{ text: '', index, logprobs: null, finish_reason: event.finishReason }])) }];
    },
    end: (usage: Usage): SseMessage[] => [...(includeUsage ? [{ data: JSON.stringify(object([], { usage: chatUsage(usage) })) }] : []), { data: '[DONE]' }],
    fail: (error: unknown): SseMessage[] => [{ data: JSON.stringify(toOpenAIError(error).body) }],
  });
  return {
    complete: (answer) => complete([answer]),
    stream: () => {
      const view = choicesStream();
      return { open: view.open, event: (event) => (event.type === 'done' ? [...view.event(event, 0), ...view.end(event.usage)] : view.event(event, 0)), fail: view.fail };
    },
    choices: { complete, stream: choicesStream },
  };
}
