import { describe, expect, it } from 'vitest';
import type OpenAI from 'openai';
import { gatewayPerTest } from '../support/start-gateway.js';

const start = gatewayPerTest();

const tools: OpenAI.Responses.FunctionTool[] = [
  { type: 'function', name: 'get_weather', description: 'The weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: false },
];

describe('POST /v1/responses (official openai SDK)', () => {
  it('answers a plain string input, with instructions, as a completed response', async () => {
    const g = await start();
    const response = await g.client().responses.create({ model: 'lifeguard-reference', instructions: 'be brief', input: 'hello responses' });
    expect(response).toMatchObject({ object: 'response', status: 'completed', model: 'lifeguard-reference', store: false, instructions: 'be brief' });
    expect(response.id).toMatch(/^resp_/);
    expect(response.output_text).toBe('Echo: hello responses');
    expect(response.output[0]).toMatchObject({ type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Echo: hello responses' }] });
    expect(response.usage).toMatchObject({ output_tokens: 3, total_tokens: response.usage!.input_tokens + 3 });
  });

  it('streams response.created … response.output_text.delta … response.completed', async () => {
    const g = await start();
    const stream = await g.client().responses.create({ model: 'm', input: [{ role: 'user', content: [{ type: 'input_text', text: 'stream these words' }] }], stream: true });
    const events = [];
    for await (const event of stream) events.push(event);
    const types = events.map((e) => e.type);
    expect(types.slice(0, 4)).toEqual(['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added']);
    expect(types.slice(-4)).toEqual(['response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.completed']);
    const deltas = events.flatMap((e) => (e.type === 'response.output_text.delta' ? [e.delta] : []));
    expect(deltas.length).toBe(4);
    expect(deltas.join('')).toBe('Echo: stream these words');
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const completed = events.at(-1) as OpenAI.Responses.ResponseCompletedEvent;
    expect(completed.response.output).toEqual([expect.objectContaining({ type: 'message', status: 'completed', content: [expect.objectContaining({ text: 'Echo: stream these words' })] })]);
    expect(completed.response.usage!.output_tokens).toBe(4);
  });

  it("the SDK's stream helper gets the final response", async () => {
    const g = await start();
    const stream = g.client().responses.stream({ model: 'm', input: 'helper' });
    const final = await stream.finalResponse();
    expect(final.output_text).toBe('Echo: helper');
  });

  it('a tool call comes back as a function_call item, and a function_call_output gets the answer', async () => {
    const g = await start();
    const client = g.client();
    const first = await client.responses.create({ model: 'm', input: '[[tool]] Paris', tools });
    const call = first.output.find((item) => item.type === 'function_call') as OpenAI.Responses.ResponseFunctionToolCall;
    expect(call).toMatchObject({ type: 'function_call', name: 'get_weather', arguments: '{"city":"Paris"}', status: 'completed' });
    expect(first.output).toHaveLength(1);
    const second = await client.responses.create({
      model: 'm',
      tools,
      input: [{ role: 'user', content: '[[tool]] Paris' }, call, { type: 'function_call_output', call_id: call.call_id, output: 'sunny' }],
    });
    expect(second.output_text).toBe('Tool result: sunny');
  });

  it('streams a tool call as function_call_arguments deltas', async () => {
    const g = await start();
    const stream = await g.client().responses.create({ model: 'm', input: '[[tool]] Oslo', tools, stream: true });
    const events = [];
    for await (const event of stream) events.push(event);
    const added = events.find((e) => e.type === 'response.output_item.added') as OpenAI.Responses.ResponseOutputItemAddedEvent;
    expect(added.item).toMatchObject({ type: 'function_call', name: 'get_weather', status: 'in_progress' });
    const pieces = events.flatMap((e) => (e.type === 'response.function_call_arguments.delta' ? [e.delta] : []));
    expect(pieces.length).toBe(2);
    expect(pieces.join('')).toBe('{"city":"Oslo"}');
    const completed = events.at(-1) as OpenAI.Responses.ResponseCompletedEvent;
    expect(completed.type).toBe('response.completed');
    expect(completed.response.output).toEqual([expect.objectContaining({ type: 'function_call', arguments: '{"city":"Oslo"}', status: 'completed' })]);
  });

  it('is stateless: store: true and previous_response_id get a 400 naming the field', async () => {
    const g = await start();
    const stored = await g.post('/v1/responses', { input: 'x', store: true });
    expect(stored.status).toBe(400);
    expect(await stored.json()).toMatchObject({ error: { type: 'invalid_request_error', param: 'store', message: expect.stringContaining('stateless') } });
    const chained = await g.post('/v1/responses', { input: 'x', previous_response_id: 'resp_1' });
    expect(chained.status).toBe(400);
    expect(await chained.json()).toMatchObject({ error: { param: 'previous_response_id' } });
    const unknown = await g.post('/v1/responses', { input: [{ type: 'item_reference', id: 'msg_never' }] });
    expect(await unknown.json()).toMatchObject({ error: { param: 'input[0]', message: expect.stringContaining('msg_never') } });
    const bad = await g.post('/v1/responses', { input: [{ type: 'web_search_call' }] });
    expect(await bad.json()).toMatchObject({ error: { param: 'input[0].type' } });
  });

  it('shares the dispatch: a worker that dies before answering gets the request re-dispatched', async () => {
    const g = await start();
    await g.waitForState('healthy');
    const firstPid = g.supervisor.pid('w1')!;
    const pending = g.client().responses.create({ model: 'm', input: '[[wait:800]] again' });
    await g.waitFor((s) => s.context.busy);
    process.kill(firstPid, 'SIGKILL');
    expect((await pending).output_text).toBe('Echo: again');
    expect(g.supervisor.pid('w1')).not.toBe(firstPid);
  });

  it('a stream whose worker dies mid-answer ends with an error event in OpenAI shape', async () => {
    const g = await start();
    const response = await g.post('/v1/responses', { input: '[[crash-mid:3]] one two three', stream: true });
    const text = await response.text();
    expect(text).toContain('event: error');
    expect(text).toContain('"code":"worker_crashed"');
    expect(text).not.toContain('response.completed');
  });
});
