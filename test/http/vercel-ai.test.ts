import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { generateText, stepCountIs, streamText, tool } from 'ai';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { gatewayPerTest, type Gateway } from '../support/start-gateway.js';

const start = gatewayPerTest();

// The Vercel AI SDK as a user points it at lifeguard: the default `openai(model)` provider (which uses
// POST /v1/responses) and the OpenAI-compatible provider (chat completions).
const openaiProvider = (g: Gateway) => createOpenAI({ baseURL: `${g.url}/v1`, apiKey: 'unused' });
const compatibleProvider = (g: Gateway) => createOpenAICompatible({ name: 'lifeguard', baseURL: `${g.url}/v1`, apiKey: 'unused' });

const weather = {
  get_weather: tool({
    description: 'The weather in a city',
    inputSchema: z.object({ city: z.string() }),
    execute: async ({ city }) => `sunny in ${city}`,
  }),
};

describe('the Vercel ai SDK against lifeguard', () => {
  it('the default openai(model) provider generates and streams text over /v1/responses', async () => {
    const g = await start();
    const openai = openaiProvider(g);
    const generated = await generateText({ model: openai('lifeguard-reference'), system: 'be brief', prompt: 'hello vercel', maxRetries: 0 });
    expect(generated.text).toBe('Echo: hello vercel');
    expect(generated.finishReason).toBe('stop');
    expect(generated.usage.outputTokens).toBe(3);
    expect(generated.response.id).toMatch(/^resp_/);

    const streamed = streamText({ model: openai('lifeguard-reference'), prompt: 'stream these words', maxRetries: 0 });
    const parts: string[] = [];
    for await (const part of streamed.textStream) parts.push(part);
    expect(parts.join('')).toBe('Echo: stream these words');
    expect(parts.length).toBe(4);
    expect(await streamed.finishReason).toBe('stop');
  });

  it('the default provider continues a conversation: its item_reference to an earlier answer resolves', async () => {
    const g = await start();
    const openai = openaiProvider(g);
    const first = await generateText({ model: openai('m'), prompt: 'first', maxRetries: 0 });
    const second = await generateText({ model: openai('m'), messages: [{ role: 'user', content: 'first' }, ...first.response.messages, { role: 'user', content: 'second' }], maxRetries: 0 });
    expect(second.text).toBe('Echo: second');
    expect(second.request.body).toMatchObject({ input: [expect.anything(), { type: 'item_reference' }, expect.anything()] });
  });

  it('the default provider runs a tool loop: the call, the execution, the answer to its result', async () => {
    const g = await start();
    const result = await generateText({ model: openaiProvider(g)('m'), tools: weather, stopWhen: stepCountIs(3), prompt: '[[tool]] Paris', maxRetries: 0 });
    expect(result.steps[0]!.toolCalls).toEqual([expect.objectContaining({ toolName: 'get_weather', input: { city: 'Paris' } })]);
    expect(result.steps[0]!.finishReason).toBe('tool-calls');
    expect(result.text).toMatch(/^Tool result: .*sunny in Paris/);
  });

  it('the default provider streams a tool call', async () => {
    const g = await start();
    const streamed = streamText({ model: openaiProvider(g)('m'), tools: weather, stopWhen: stepCountIs(3), prompt: '[[tool]] Oslo', maxRetries: 0 });
    const calls = [];
    for await (const part of streamed.fullStream) if (part.type === 'tool-call') calls.push(part);
    expect(calls).toEqual([expect.objectContaining({ toolName: 'get_weather', input: { city: 'Oslo' } })]);
    expect(await streamed.text).toMatch(/sunny in Oslo/);
  });

  it('the openai-compatible provider generates text and runs a tool loop over /v1/chat/completions', async () => {
    const g = await start();
    const compatible = compatibleProvider(g);
    const generated = await generateText({ model: compatible('lifeguard-reference'), prompt: 'hello compatible', maxRetries: 0 });
    expect(generated.text).toBe('Echo: hello compatible');
    const looped = await generateText({ model: compatible('m'), tools: weather, stopWhen: stepCountIs(3), prompt: '[[tool]] Rome', maxRetries: 0 });
    expect(looped.steps[0]!.toolCalls).toEqual([expect.objectContaining({ toolName: 'get_weather', input: { city: 'Rome' } })]);
    expect(looped.text).toMatch(/^Tool result: .*sunny in Rome/);
    const streamed = streamText({ model: compatible('m'), tools: weather, stopWhen: stepCountIs(3), prompt: '[[tool]] Lima', maxRetries: 0 });
    expect(await streamed.text).toMatch(/sunny in Lima/);
  });
});
