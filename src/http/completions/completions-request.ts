import type { ChatRequestBody } from '../../drivers/driver.js';
import { choiceBodies } from '../chat-completions.js';
import { fail, MAX_CHOICES, parseChatRequest } from '../chat-request.js';
import type { AnswerRequest } from '../serve-answer.js';
import { completionsRenderer } from './completions-render.js';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

// `prompt`: a string, or an array of strings (each its own choices). Token arrays need a tokenizer lifeguard has not.
function prompts(prompt: unknown): string[] {
  if (typeof prompt === 'string') return [prompt];
  if (Array.isArray(prompt) && prompt.length > 0 && prompt.every((p) => typeof p === 'string')) return prompt;
  return fail('prompt', 'a string or a non-empty array of strings (token arrays are not supported)', prompt);
}

// Checks a legacy completions request and reduces it to chat bodies, one per choice: each prompt is
// a user message (`suffix`, `echo`, `best_of` > 1 and `logprobs` are refused: no worker here has them).
export function parseCompletionsRequest(raw: unknown): { body: ChatRequestBody; choices: ChatRequestBody[]; prompts: string[]; stream: boolean } {
  if (!isObject(raw)) fail('body', 'a JSON object', raw);
  const given = prompts(raw.prompt);
  for (const field of ['suffix', 'logprobs'] as const) if (raw[field] !== undefined && raw[field] !== null) fail(field, 'to be left out (lifeguard cannot serve it)', raw[field]);
  if (raw.echo !== undefined && raw.echo !== null && raw.echo !== false) fail('echo', 'false (lifeguard cannot echo the prompt)', raw.echo);
  if (raw.best_of !== undefined && raw.best_of !== null && raw.best_of !== 1) fail('best_of', '1 (use n for several choices)', raw.best_of);
  const chat: Json = {
    ...(raw.model !== undefined ? { model: raw.model } : {}),
    messages: [{ role: 'user', content: given[0] }],
    stream: raw.stream === true,
    ...(raw.stream_options !== undefined ? { stream_options: raw.stream_options } : {}),
    max_tokens: raw.max_tokens ?? undefined,
    stop: raw.stop ?? undefined,
    temperature: raw.temperature ?? undefined,
    top_p: raw.top_p ?? undefined,
    n: raw.n ?? undefined,
    user: raw.user ?? undefined,
  };
  for (const key of Object.keys(chat)) if (chat[key] === undefined) delete chat[key];
  const body = parseChatRequest(chat);
  const n = (body.n as number | undefined) ?? 1;
  if (given.length * n > MAX_CHOICES) fail('prompt', `at most ${MAX_CHOICES} choices in all (prompts × n)`, `${given.length} × ${n}`);
  const choices = given.flatMap((prompt) => {
    const one: ChatRequestBody = { ...structuredClone(body), messages: [{ role: 'user', content: prompt }] };
    if (choiceBodies(one)) return choiceBodies(one)!;
    delete one.n;
    return [one];
  });
  return { body, choices, prompts: given, stream: raw.stream === true };
}

/** POST /v1/completions (legacy): one internal answer per choice, rendered as `text_completion`. */
export function completionsApi(raw: unknown, defaultModel: string): AnswerRequest {
  const request = parseCompletionsRequest(raw);
  const renderer = completionsRenderer(request.body, { model: request.body.model ?? defaultModel });
  return { body: request.choices[0]!, stream: request.stream, renderer, ...(request.choices.length > 1 ? { choices: request.choices } : {}) };
}
