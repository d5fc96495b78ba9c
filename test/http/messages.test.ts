import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { gatewayPerTest, type Gateway } from '../support/start-gateway.js';

const start = gatewayPerTest();

const anthropic = (g: Gateway, apiKey = 'unused') => new Anthropic({ baseURL: g.url, apiKey, maxRetries: 0, timeout: 100_000 });

const tools: Anthropic.Tool[] = [{ name: 'get_weather', description: 'The weather in a city', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }];

describe('POST /v1/messages (official Anthropic SDK)', () => {
  it('messages.create answers with a text block, a stop_reason and usage', async () => {
    const g = await start();
    const message = await anthropic(g).messages.create({
      model: 'lifeguard-reference',
      max_tokens: 100,
      system: 'be brief',
      messages: [{ role: 'user', content: 'hello anthropic' }],
    });
    expect(message).toMatchObject({ type: 'message', role: 'assistant', model: 'lifeguard-reference', stop_reason: 'end_turn', content: [{ type: 'text', text: 'Echo: hello anthropic' }] });
    expect(message.id).toMatch(/^msg_/);
    expect(message.usage.output_tokens).toBe(3);
    expect(message.usage.input_tokens).toBeGreaterThan(0);
  });

  it('messages.stream streams message_start … content_block_delta … message_stop', async () => {
    const g = await start();
    const stream = anthropic(g).messages.stream({ model: 'm', max_tokens: 100, messages: [{ role: 'user', content: [{ type: 'text', text: 'stream these words' }] }] });
    const types: string[] = [];
    stream.on('streamEvent', (event) => types.push(event.type));
    const final = await stream.finalMessage();
    expect(final.content).toEqual([{ type: 'text', text: 'Echo: stream these words' }]);
    expect(final.stop_reason).toBe('end_turn');
    expect(final.usage.output_tokens).toBe(4);
    expect(types[0]).toBe('message_start');
    expect(types.filter((t) => t === 'content_block_delta')).toHaveLength(4);
    expect(types.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
  });

  it('a tool call comes back as a tool_use block, and a tool_result gets the answer (streaming and not)', async () => {
    const g = await start();
    const client = anthropic(g);
    const first = await client.messages.create({ model: 'm', max_tokens: 100, tools, messages: [{ role: 'user', content: '[[tool]] Paris' }] });
    expect(first.stop_reason).toBe('tool_use');
    const use = first.content[0] as Anthropic.ToolUseBlock;
    expect(use).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: 'Paris' } });

    const streamed = await client.messages.stream({ model: 'm', max_tokens: 100, tools, messages: [{ role: 'user', content: '[[tool]] Oslo' }] }).finalMessage();
    expect(streamed.stop_reason).toBe('tool_use');
    expect(streamed.content).toEqual([expect.objectContaining({ type: 'tool_use', name: 'get_weather', input: { city: 'Oslo' } })]);

    const answer = await client.messages.create({
      model: 'm',
      max_tokens: 100,
      tools,
      messages: [
        { role: 'user', content: '[[tool]] Paris' },
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'sunny' }] },
      ],
    });
    expect(answer.content).toEqual([{ type: 'text', text: 'Tool result: sunny' }]);
  });

  it("errors come in Anthropic's shape: a bad field, an unknown route", async () => {
    const g = await start();
    const bad = await g.post('/v1/messages', { max_tokens: 10, messages: [{ role: 'system', content: 'x' }] });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: expect.stringContaining("'messages[0].role'") } });
    const missing = await g.post('/v1/messages/batches', { requests: [] });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
    await expect(anthropic(g).messages.create({ model: 'm', max_tokens: 0, messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(Anthropic.BadRequestError);
  });

  it('accepts the client key as x-api-key (and still as a bearer token); a wrong key is an authentication_error', async () => {
    const g = await start({ flags: ['--api-key', 'sekret'] });
    const message = await anthropic(g, 'sekret').messages.create({ model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'keyed' }] });
    expect(message.content).toEqual([{ type: 'text', text: 'Echo: keyed' }]);
    const bearer = await g.post('/v1/messages', { max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }, { authorization: 'Bearer sekret' });
    expect(bearer.status).toBe(200);
    const wrong = await g.post('/v1/messages', { max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }, { 'x-api-key': 'nope' });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    const elsewhere = await g.post('/v1/chat/completions', { messages: [{ role: 'user', content: 'x' }] }, { 'x-api-key': 'sekret' });
    expect(elsewhere.status).toBe(401);
  });

  it('shares the gating: an offline worker gets a 503 overloaded_error', async () => {
    const g = await start({ flags: ['--max-consecutive-failures', '1'], workerCommand: ['/nonexistent/worker'] });
    await g.waitForState('offline');
    const response = await g.post('/v1/messages', { max_tokens: 10, messages: [{ role: 'user', content: 'x' }] });
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ type: 'error', error: { type: 'overloaded_error', message: 'Worker offline - manual restart required' } });
  });

  it('a stream whose worker dies mid-answer ends with an Anthropic error event', async () => {
    const g = await start();
    const stream = anthropic(g).messages.stream({ model: 'm', max_tokens: 100, messages: [{ role: 'user', content: '[[crash-mid:3]] one two three' }] });
    await expect(stream.finalMessage()).rejects.toThrow(/worker_crashed|Worker w1/);
  });
});
