import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from '../support/start-gateway.js';

// The official `@anthropic-ai/sdk` with its defaults, against lifeguard and the reference worker.
let g: Gateway;
let client: Anthropic;

beforeAll(async () => {
  g = await startGateway({ workerEnv: { REF_WORKER_CONCURRENCY: '4' } });
  client = new Anthropic({ baseURL: g.url, apiKey: 'unused' });
});
afterAll(async () => {
  await g?.shutdown();
});

// A 1×1 PNG and a one-page PDF, as Claude Code's Read tool sends them in a tool_result.
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const PDF = Buffer.from('%PDF-1.1\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n').toString('base64');
const readTool: Anthropic.Tool = { name: 'Read', description: 'Read a file', input_schema: { type: 'object', properties: { file_path: { type: 'string' } }, required: ['file_path'] } };

describe('the Anthropic SDK against lifeguard', () => {
  it('messages.create: stop_sequences cut the answer (stop_reason stop_sequence, the sequence named)', async () => {
    const message = await client.messages.create({ model: 'm', max_tokens: 100, stop_sequences: ['zzz', 'thr'], messages: [{ role: 'user', content: '[[slow:20]] one two three four' }] });
    expect(message).toMatchObject({ content: [{ type: 'text', text: 'Echo: one two ' }], stop_reason: 'stop_sequence', stop_sequence: 'thr' });
  });

  it('messages.stream: the same cut, and max_tokens ends with stop_reason max_tokens', async () => {
    const stopped = await client.messages.stream({ model: 'm', max_tokens: 100, stop_sequences: ['o t'], messages: [{ role: 'user', content: 'one two three' }] }).finalMessage();
    expect(stopped).toMatchObject({ content: [{ type: 'text', text: 'Echo: one tw' }], stop_reason: 'stop_sequence', stop_sequence: 'o t' });
    const limited = await client.messages.stream({ model: 'm', max_tokens: 2, messages: [{ role: 'user', content: 'one two three' }] }).finalMessage();
    expect(limited).toMatchObject({ content: [{ type: 'text', text: 'Echo: one ' }], stop_reason: 'max_tokens' });
  });

  it('messages.countTokens: an estimate where the worker cannot count (said so in a header)', async () => {
    const { data, response } = await client.messages.countTokens({ model: 'm', system: 'be brief', messages: [{ role: 'user', content: 'count these words please' }] }).withResponse();
    expect(data.input_tokens).toBeGreaterThan(5);
    expect(response.headers.get('x-lifeguard-token-count')).toBe('estimate');
    const longer = await client.messages.countTokens({ model: 'm', messages: [{ role: 'user', content: 'count these words please '.repeat(100) }] });
    expect(longer.input_tokens).toBeGreaterThan(data.input_tokens * 10);
  });

  it('a tool_result with an image and a document (what Claude Code\'s Read tool sends) reaches the worker', async () => {
    const messages: Anthropic.MessageParam[] = [
      { role: 'user', content: '[[tool]] picture.png' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'Read', input: { file_path: 'picture.png' } }] },
      {
        role: 'user',
        content: [
          {
            type: 'tool_result',
            tool_use_id: 'toolu_1',
            content: [
              { type: 'text', text: 'read it' },
              { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
              { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: PDF } },
            ],
          },
        ],
      },
    ];
    const message = await client.messages.create({ model: 'm', max_tokens: 100, tools: [readTool], messages });
    expect(message.content).toEqual([{ type: 'text', text: 'Tool result: read it [image] [file]' }]);
    const first = await client.messages.create({ model: 'm', max_tokens: 100, tools: [readTool], messages: messages.slice(0, 1) });
    expect(first.content).toMatchObject([{ type: 'tool_use', name: 'Read', input: { file_path: 'picture.png' } }]);
    const withDocument = await client.messages.create({
      model: 'm',
      max_tokens: 100,
      messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: PDF } }, { type: 'text', text: 'summarise' }] }],
    });
    expect(withDocument.content).toEqual([{ type: 'text', text: 'Echo: summarise' }]);
  });

  it('server tools (web_search) are left out and named; the client tools still reach the worker', async () => {
    const { data, response } = await client.messages
      .create({ model: 'm', max_tokens: 100, tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 2 }, readTool], messages: [{ role: 'user', content: '[[tool]] notes.txt' }] })
      .withResponse();
    expect(response.headers.get('x-lifeguard-tools-dropped')).toBe('web_search_20250305:web_search');
    expect(data.content).toMatchObject([{ type: 'tool_use', name: 'Read', input: { file_path: 'notes.txt' } }]);
  });
});
