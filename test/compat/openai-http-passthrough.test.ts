import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from '../support/drivers.js';
import { startGateway, type Gateway } from '../support/start-gateway.js';

// An openai-http worker's server is asked for what it serves: embeddings, token counts, hosted tools.
let g: Gateway;
beforeAll(async () => {
  g = await startGateway({ flags: ['--driver', 'openai-http'], workerCommand: [process.execPath, fixture('fake-openai-server.mjs'), '--port', '{port}'] });
  await g.waitForState('healthy');
});
afterAll(async () => {
  await g?.shutdown();
});

describe('openai-http: passed through to the upstream server', () => {
  it('/v1/embeddings answers with the server\'s embeddings', async () => {
    const client = new OpenAI({ baseURL: `${g.url}/v1`, apiKey: 'unused' });
    const embeddings = await client.embeddings.create({ model: 'fake-llama', input: ['a', 'b'], encoding_format: 'float' });
    expect(embeddings.data.map((d) => d.embedding)).toEqual([
      [0.25, 0.5, 0],
      [0.25, 0.5, 1],
    ]);
  });

  it('/v1/messages/count_tokens is forwarded to a server that counts (said so in a header)', async () => {
    const client = new Anthropic({ baseURL: g.url, apiKey: 'unused' });
    const body = { model: 'fake-llama', messages: [{ role: 'user' as const, content: 'count me' }] };
    const { data, response } = await client.messages.countTokens(body).withResponse();
    expect(response.headers.get('x-lifeguard-token-count')).toBe('upstream');
    expect(data.input_tokens).toBe(Math.ceil(JSON.stringify(body).length / 10));
  });

  it('hosted tools reach the server as they came (nothing dropped)', async () => {
    const response = await g.post('/v1/responses', { model: 'fake-llama', input: '[[echo-body]]', tools: [{ type: 'web_search' }] });
    expect(response.headers.get('x-lifeguard-tools-dropped')).toBeNull();
    const answer = (await response.json()) as { output: Array<{ content: Array<{ text: string }> }> };
    expect(JSON.parse(answer.output[0]!.content[0]!.text).tools).toEqual([{ type: 'web_search' }]);
  });
});
