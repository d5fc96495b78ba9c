import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { HumanMessage } from '@langchain/core/messages';
import { ChatOpenAI } from '@langchain/openai';
import { Agent, run, setDefaultOpenAIClient, setTracingDisabled, tool as agentTool, webSearchTool } from '@openai/agents';
import { generateText, streamText, type ToolSet } from 'ai';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startGateway, type Gateway } from '../support/start-gateway.js';

// Three client libraries with their defaults, against lifeguard and the reference worker: LangChain's
// ChatOpenAI (chat completions), the OpenAI Agents SDK (Responses, its hosted tools), Vercel `ai` 6.
// The Agents SDK exports traces to OpenAI by default: off, so that nothing leaves loopback.
setTracingDisabled(true);

let g: Gateway;
beforeAll(async () => {
  g = await startGateway({ workerEnv: { REF_WORKER_CONCURRENCY: '4' } });
});
afterAll(async () => {
  await g?.shutdown();
});

describe('LangChain (@langchain/openai ChatOpenAI)', () => {
  const chat = (fields: ConstructorParameters<typeof ChatOpenAI>[0] = {}) => new ChatOpenAI({ model: 'm', apiKey: 'unused', configuration: { baseURL: `${g.url}/v1` }, ...fields });

  it('invokes and streams', async () => {
    expect((await chat().invoke('hello langchain')).content).toBe('Echo: hello langchain');
    let text = '';
    for await (const chunk of await chat().stream('stream langchain')) text += String(chunk.content);
    expect(text).toBe('Echo: stream langchain');
  });

  it('n: 2 gives two generations (a 400 before)', async () => {
    const result = await chat({ n: 2 }).generate([[new HumanMessage('twice please')]]);
    expect(result.generations[0]!.map((generation) => generation.text)).toEqual(['Echo: twice please', 'Echo: twice please']);
  });

  it('a stop sequence is applied', async () => {
    const answer = await chat().invoke('alpha beta gamma', { stop: ['ta g'] });
    expect(answer.content).toBe('Echo: alpha be');
    expect(answer.response_metadata.finish_reason).toBe('stop');
  });
});

describe('the OpenAI Agents SDK (@openai/agents, Responses by default)', () => {
  it('runs an agent through a function tool round with a hosted web_search tool beside it', async () => {
    setDefaultOpenAIClient(new OpenAI({ baseURL: `${g.url}/v1`, apiKey: 'unused' }));
    const weather = agentTool({
      name: 'get_weather',
      description: 'The weather in a city',
      parameters: z.object({ city: z.string() }),
      execute: async ({ city }) => `sunny in ${city}`,
    });
    const agent = new Agent({ name: 'assistant', instructions: 'be brief', model: 'lifeguard-reference', tools: [weather, webSearchTool()] });
    const result = await run(agent, '[[tool:get_weather]] Paris');
    expect(result.finalOutput).toBe('Tool result: sunny in Paris');
    expect(g.logs.some((line) => line.includes('tools left out of what the worker sees') && line.includes('web_search'))).toBe(true);
  });
});

describe('Vercel ai 6', () => {
  it('the default openai(model) provider (Responses) with a hosted web search tool: answered, the tool named as dropped', async () => {
    const openai = createOpenAI({ baseURL: `${g.url}/v1`, apiKey: 'unused' });
    // (@ai-sdk/openai's provider-utils is a patch version apart from ai's: the same tool, two type identities.)
    const tools = { web_search: openai.tools.webSearch({}) } as unknown as ToolSet;
    const result = await generateText({ model: openai('m'), prompt: 'look it up', tools, maxRetries: 0 });
    expect(result.text).toBe('Echo: look it up');
    expect(result.response.headers?.['x-lifeguard-tools-dropped']).toBe('web_search');
  });

  it('the compatible provider (chat completions) honours stopSequences and maxOutputTokens', async () => {
    const compatible = createOpenAICompatible({ name: 'lifeguard', baseURL: `${g.url}/v1`, apiKey: 'unused' });
    const stopped = await generateText({ model: compatible('m'), prompt: 'one two three', stopSequences: ['three'], maxRetries: 0 });
    expect([stopped.text, stopped.finishReason]).toEqual(['Echo: one two ', 'stop']);
    const streamed = streamText({ model: compatible('m'), prompt: 'one two three', maxOutputTokens: 2, maxRetries: 0 });
    expect(await streamed.text).toBe('Echo: one ');
    expect(await streamed.finishReason).toBe('length');
  });
});
