import { describe, expect, it } from 'vitest';
import type OpenAI from 'openai';
import { gatewayPerTest } from '../support/start-gateway.js';

const start = gatewayPerTest();

const tools: OpenAI.Chat.Completions.ChatCompletionTool[] = [
  {
    type: 'function',
    function: { name: 'get_weather', description: 'The weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
  },
];

describe('tool calls from a jsonl worker (jsonl v1.1) through the official openai SDK', () => {
  it('a non-streaming completion returns the tool call, and the answer to the tool result follows', async () => {
    const g = await start();
    const client = g.client();
    const messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [{ role: 'user', content: '[[tool]] Paris' }];
    const first = await client.chat.completions.create({ model: 'lifeguard-reference', messages, tools });
    const choice = first.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBeNull();
    expect(choice.message.tool_calls).toEqual([{ id: expect.stringMatching(/^call_/), type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }]);

    const call = choice.message.tool_calls![0]!;
    messages.push(choice.message, { role: 'tool', tool_call_id: call.id, content: 'sunny, 21 °C' });
    const second = await client.chat.completions.create({ model: 'lifeguard-reference', messages, tools });
    expect(second.choices[0]).toMatchObject({ finish_reason: 'stop', message: { content: 'Tool result: sunny, 21 °C' } });
  });

  it('streams delta.tool_calls whose arguments arrive in pieces, ending with finish_reason tool_calls', async () => {
    const g = await start();
    const stream = await g.client().chat.completions.create({ model: 'm', messages: [{ role: 'user', content: '[[tool:get_weather]] Oslo' }], tools, stream: true });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const deltas = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(deltas.length).toBe(2);
    expect(deltas[0]).toMatchObject({ index: 0, id: expect.stringMatching(/^call_/), type: 'function', function: { name: 'get_weather' } });
    expect(deltas.map((d) => d.function?.arguments).join('')).toBe('{"city":"Oslo"}');
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('tool_calls');
  });

  it("the SDK's stream helper assembles the streamed call", async () => {
    const g = await start();
    const stream = g.client().chat.completions.stream({ model: 'm', messages: [{ role: 'user', content: '[[tool]] Rome' }], tools });
    const final = await stream.finalChatCompletion();
    expect(final.choices[0]!.message.tool_calls![0]).toMatchObject({ type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } });
    expect(final.choices[0]!.finish_reason).toBe('tool_calls');
  });

  it('without tools in the request the marker is just text', async () => {
    const g = await start();
    const completion = await g.client().chat.completions.create({ model: 'm', messages: [{ role: 'user', content: '[[tool]] Paris' }] });
    expect(completion.choices[0]).toMatchObject({ finish_reason: 'stop', message: { content: 'Echo: Paris' } });
  });
});

describe('tool calls in a conversation on a stateful worker', () => {
  it('the tool result continues the conversation on the process that made the call, whichever API carries it', async () => {
    const g = await start({ flags: ['--workers', '1', '--standby', '1'], workerEnv: { REF_WORKER_STATEFUL: '1' } });
    await Promise.all([g.waitFor((s) => s.hasTag('accepting'), 'w1'), g.waitFor((s) => s.hasTag('accepting'), 'w2')]);
    const routes: string[] = [];
    g.supervisor.subscribe((event) => {
      if (event.type === 'routed') routes.push(`${event.result}:${event.workerId}`);
    });
    const anthropicTools = [{ name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }];
    const ask = async (messages: unknown[]) => (await (await g.post('/v1/messages', { max_tokens: 100, tools: anthropicTools, messages })).json()) as { content: Array<{ id: string }> };
    const history: unknown[] = [{ role: 'user', content: '[[tool]] Paris' }];
    const first = await ask(history);
    expect(first).toMatchObject({ stop_reason: 'tool_use', content: [{ type: 'tool_use', input: { city: 'Paris' } }] });
    history.push({ role: 'assistant', content: first.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: first.content[0]!.id, content: 'sunny' }] });
    const second = await ask(history);
    expect(second.content).toEqual([{ type: 'text', text: 'Tool result: sunny' }]);
    history.push({ role: 'assistant', content: second.content }, { role: 'user', content: '[[recall]] and now?' });
    const third = await ask(history);
    expect(third.content).toEqual([{ type: 'text', text: 'Recall: Paris | held 5 | received 1' }]);
    expect(routes.map((r) => r.split(':')[0])).toEqual(['new', 'continued', 'continued']);
    expect(new Set(routes.map((r) => r.split(':')[1])).size).toBe(1);
  });
});
