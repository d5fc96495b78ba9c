import type { AnswerEvent, ChatRequestBody, PassThrough, Usage } from '../drivers/driver.js';
import { uniqueId } from '../util/unique-id.js';
import { parseChatRequest } from './chat-request.js';
import { chatUsage, type CollectedAnswer } from './collect-answer.js';
import { sumUsage, type ChoicesRenderer } from './compat/serve-choices.js';
import { toOpenAIError } from './openai-errors.js';
import type { AnswerRenderer, AnswerRequest, SseMessage, StreamRenderer } from './serve-answer.js';

// OpenAI chat completions, as a renderer of the internal answer: whole (`chat.completion`) or as
// `chat.completion.chunk` events ending in [DONE]. What an upstream server sent beyond lifeguard's
// model (refusal, logprobs, system_fingerprint, …) is passed on where it came. With `n` > 1, each
// choice is its own answer, rendered at its index. A class: a request that is answered whole makes
// none of the stream's functions.
class ChatRenderer implements AnswerRenderer {
  readonly #id = `chatcmpl-${uniqueId()}`;
  readonly #created = Math.floor(Date.now() / 1000);

  constructor(
    private readonly model: string,
    private readonly includeUsage: boolean,
  ) {}

  complete(answer: CollectedAnswer): unknown {
    return this.#completion([answer]);
  }

  stream(): StreamRenderer {
    const view = this.#choicesStream();
    return {
      open: view.open,
      event: (event) => (event.type === 'done' ? [...view.event(event, 0), ...view.end(event.usage)] : view.event(event, 0)),
      fail: view.fail,
    };
  }

  get choices(): ChoicesRenderer {
    return { complete: (answers) => this.#completion(answers), stream: () => this.#choicesStream() };
  }

  #chunk(index: number, delta: Record<string, unknown>, finishReason: string | null, passThrough?: PassThrough) {
    return {
      id: this.#id,
      object: 'chat.completion.chunk',
      created: this.#created,
      model: this.model,
      ...passThrough?.chunk,
      choices: [{ index, delta: { ...delta, ...passThrough?.delta }, finish_reason: finishReason, logprobs: null, ...passThrough?.choice }],
    };
  }

  #choiceOf(answer: CollectedAnswer, index: number) {
    const { content, toolCalls, passThrough } = answer;
    const silent = content.length === 0 && (toolCalls.length > 0 || typeof passThrough.delta.refusal === 'string');
    const message = { role: 'assistant', content: silent ? null : content, ...(toolCalls.length ? { tool_calls: toolCalls } : {}), ...passThrough.delta };
    return { index, message, finish_reason: answer.finishReason, logprobs: null, ...passThrough.choice };
  }

  #completion(answers: CollectedAnswer[]) {
    return {
      id: this.#id,
      object: 'chat.completion',
      created: this.#created,
      model: this.model,
      ...answers[0]!.passThrough.chunk,
      choices: answers.map((answer, index) => this.#choiceOf(answer, index)),
      usage: answers.length === 1 ? chatUsage(answers[0]!.usage) : chatUsage(sumUsage(answers.map((a) => a.usage))),
    };
  }

  // Chunks of every choice; each choice's role comes with its first chunk.
  #choicesStream() {
    const sentRole = new Set<number>();
    const role = (index: number, content: string | null) => {
      if (sentRole.has(index)) return {};
      sentRole.add(index);
      return { role: 'assistant', content };
    };
    const event = (event: AnswerEvent, index: number): SseMessage[] => {
      if (event.type === 'delta') return [{ data: JSON.stringify(this.#chunk(index, { ...role(index, ''), content: event.content }, null, event.passThrough)) }];
      if (event.type === 'tool_call') return [{ data: JSON.stringify(this.#chunk(index, { ...role(index, null), tool_calls: [event.call] }, null, event.passThrough)) }];
      return [{ data: JSON.stringify(this.#chunk(index, role(index, ''), event.finishReason, event.passThrough)) }];
    };
    const end = (usage: Usage): SseMessage[] => [...(this.includeUsage ? [{ data: JSON.stringify({ ...this.#chunk(0, {}, null), choices: [], usage: chatUsage(usage) }) }] : []), { data: '[DONE]' }];
    const fail = (error: unknown): SseMessage[] => [{ data: JSON.stringify(toOpenAIError(error).body) }];
    return { open: (): SseMessage[] => [], event, end, fail };
  }
}

export function chatRenderer(body: ChatRequestBody, meta: { model: string }): AnswerRenderer {
  return new ChatRenderer(meta.model, (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true);
}

/** The bodies of a request's `n` choices: one each, without `n` (a worker answers one choice). */
export function choiceBodies(body: ChatRequestBody): ChatRequestBody[] | undefined {
  const n = typeof body.n === 'number' ? body.n : 1;
  if (n <= 1) return undefined;
  const { n: _n, ...one } = body;
  return Array.from({ length: n }, () => structuredClone(one) as ChatRequestBody);
}

/** POST /v1/chat/completions: the request the answer core serves. */
export function chatCompletionsApi(raw: unknown, defaultModel: string): AnswerRequest {
  const body = parseChatRequest(raw);
  const choices = choiceBodies(body);
  return { body, stream: body.stream === true, renderer: chatRenderer(body, { model: body.model ?? defaultModel }), ...(choices ? { choices } : {}) };
}
