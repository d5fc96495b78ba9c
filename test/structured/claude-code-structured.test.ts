import { readFileSync } from 'node:fs';
import Anthropic from '@anthropic-ai/sdk';
import { zodOutputFormat } from '@anthropic-ai/sdk/helpers/zod';
import { zodResponseFormat, zodTextFormat } from 'openai/helpers/zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { FakeAnthropic } from '../fixtures/fake-anthropic-api.js';
import { CLAUDE_CLI, startClaudeFixture } from '../support/claude-code.js';
import { startGateway, type Gateway } from '../support/start-gateway.js';

// One CLI for the whole file (each test scripts the model's next replies); no context limits, so
// the growing conversation never triggers a proactive restart between tests.
let g: Gateway;
let api: FakeAnthropic;
beforeAll(async () => {
  const fixture = await startClaudeFixture();
  api = fixture.api;
  g = await startGateway({
    flags: ['--driver', 'claude-code', '--model', 'claude-sonnet-4-5', '--worker-cwd', fixture.cwd, '--startup-timeout-ms', '20000', '--turn-limit', '0', '--token-limit', '0'],
    workerCommand: [process.execPath, CLAUDE_CLI],
    workerEnv: fixture.env,
  });
  await g.waitForState('healthy', 'w1', 60_000);
});
afterAll(async () => {
  await g?.shutdown();
  await api?.close();
});

const personSchema = {
  type: 'object',
  properties: { name: { type: 'string' }, age: { type: 'integer' } },
  required: ['name', 'age'],
  additionalProperties: false,
};
const personFormat = { type: 'json_schema', json_schema: { name: 'person', strict: true, schema: personSchema } };

// The text of the user turns the CLI sent to the model since `from`.
const userTurnsSince = (from: number) => api.requests.slice(from).map((r) => JSON.stringify((r.messages as unknown[]).at(-1)));

describe('structured outputs through the claude-code driver (real CLI, fake Anthropic API)', () => {
  it('a json_schema request gets the schema stated in its turn, and content that parses and validates', async () => {
    const before = api.requests.length;
    api.reply('Here is the person:\n```json\n{ "name": "Ada", "age": 36 }\n```\nAnything else?');
    const response = await g.post('/v1/chat/completions', { model: 'm', messages: [{ role: 'user', content: 'Ada is 36.' }], response_format: personFormat });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { choices: Array<{ message: { content: string } }> };
    expect(JSON.parse(body.choices[0]!.message.content)).toEqual({ name: 'Ada', age: 36 });
    expect(api.requests.length - before).toBe(1);
    const turn = userTurnsSince(before)[0]!;
    expect(turn).toContain('Ada is 36.');
    expect(turn).toContain('JSON Schema \\"person\\"');
    expect(turn).toContain(JSON.stringify(JSON.stringify(personSchema)).slice(1, -1));
  });

  it('an answer the schema rejects gets one corrective turn, then 502 invalid_structured_output naming what failed', async () => {
    const before = api.requests.length;
    api.reply('{"name": "Ada", "age": "thirty-six"}', 'Sorry: {"name": "Ada"}');
    const response = await g.post('/v1/chat/completions', { model: 'm', messages: [{ role: 'user', content: 'Ada is 36.' }], response_format: personFormat });
    expect(response.status).toBe(502);
    const { error } = (await response.json()) as { error: { code: string; type: string; param: string; message: string } };
    expect(error).toMatchObject({ code: 'invalid_structured_output', type: 'server_error', param: 'response_format' });
    expect(error.message).toContain(`(root) must have required property 'age'`);
    expect(error.message).toContain('Sorry: {\\"name\\": \\"Ada\\"}');
    const turns = userTurnsSince(before);
    expect(turns).toHaveLength(2);
    expect(turns[1]).toContain('does not conform');
    expect(turns[1]).toContain('/age must be integer');
    // Conversation affinity: the same CLI (which holds the first turn) gets only the corrective message.
    expect(turns[1]).not.toContain('Assistant:');
    const history = JSON.stringify(api.requests[before + 1]!.messages);
    expect(history).toContain('Ada is 36.');
    expect(history).toContain('thirty-six');
  });

  it('a corrected answer is served, and a stream with a schema starts only once the answer validated', async () => {
    const before = api.requests.length;
    api.reply('{"name": "Ada"}', '{"name": "Ada", "age": 36}');
    const stream = await g.client().chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'Ada is 36.' }],
      response_format: personFormat as never,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const deltas = chunks.map((c) => c.choices[0]?.delta.content ?? '').filter(Boolean);
    expect(deltas).toEqual(['{"name":"Ada","age":36}']);
    expect(api.requests.length - before).toBe(2);
    // Usage counts both turns: the fake API counts a word per space-separated piece.
    expect(chunks.at(-1)!.usage!.completion_tokens).toBe(2 + 4);
  });

  it("the OpenAI SDK's chat.completions.parse with a zod schema works end to end", async () => {
    const Extraction = z.object({
      entities: z.array(z.object({ name: z.string(), kind: z.enum(['person', 'organization']), founded: z.number().int().nullable() })),
    });
    api.reply('{"entities":[{"name":"Ada Lovelace","kind":"person","founded":null},{"name":"Analytical Engines Ltd","kind":"organization","founded":1843}]}');
    const completion = await g.client().chat.completions.parse({
      model: 'm',
      messages: [
        { role: 'system', content: 'Extract entities from the text.' },
        { role: 'user', content: 'Ada Lovelace wrote for Analytical Engines Ltd, founded 1843.' },
      ],
      response_format: zodResponseFormat(Extraction, 'extraction'),
    });
    expect(completion.choices[0]!.message.parsed).toEqual({
      entities: [
        { name: 'Ada Lovelace', kind: 'person', founded: null },
        { name: 'Analytical Engines Ltd', kind: 'organization', founded: 1843 },
      ],
    });
  });

  it('json_object: the answer is the one JSON object found in the prose', async () => {
    api.reply('Sure! {"ok": true, "items": [1, 2]} Hope that helps.');
    const completion = await g.client().chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'Give me JSON.' }], response_format: { type: 'json_object' } });
    expect(JSON.parse(completion.choices[0]!.message.content!)).toEqual({ ok: true, items: [1, 2] });
    expect(JSON.stringify(api.requests.at(-1)!.messages)).toContain('Answer with one valid JSON object');
  });

  it("the HTTP API reference's Graphiti-style curl example gets the answer it shows", async () => {
    const reference = readFileSync(new URL('../../docs/http-api.md', import.meta.url), 'utf8');
    const section = reference.slice(reference.indexOf('## Extraction pipelines'));
    const body = JSON.parse(/-d @- <<'EOF'\n([\s\S]*?)\nEOF\n/.exec(section)![1]!) as Record<string, unknown>;
    const shown = /^`(\{"extracted_entities".*\})`\.$/m.exec(section)![1]!;
    api.reply(`Here are the entities:\n\n\`\`\`json\n${JSON.stringify(JSON.parse(shown), null, 2)}\n\`\`\``);
    const response = await g.post('/v1/chat/completions', body);
    expect(response.status).toBe(200);
    const completion = (await response.json()) as { choices: Array<{ message: { content: string } }> };
    expect(completion.choices[0]!.message.content).toBe(shown);
    expect(JSON.stringify(api.requests.at(-1)!.messages)).toContain('ExtractedEntities');
  });

  it("the Responses API's text.format gets the same validation: responses.parse with a zod schema, and the 502", async () => {
    const Person = z.object({ name: z.string(), age: z.number().int() });
    api.reply('```json\n{"name": "Ada", "age": 36}\n```');
    const parsed = await g.client().responses.parse({ model: 'm', input: 'Ada is 36.', text: { format: zodTextFormat(Person, 'person') } });
    expect(parsed.output_parsed).toEqual({ name: 'Ada', age: 36 });
    expect(JSON.stringify(api.requests.at(-1)!.messages)).toContain('JSON Schema \\"person\\"');

    api.reply('no idea', 'still no idea');
    const response = await g.post('/v1/responses', { model: 'm', input: 'Ada is 36.', text: { format: { type: 'json_schema', name: 'person', strict: true, schema: personSchema } } });
    expect(response.status).toBe(502);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('invalid_structured_output');
  });

  it("the Messages API's output_config.format gets the same validation: the Anthropic SDK's messages.parse with a zod schema", async () => {
    const client = new Anthropic({ baseURL: g.url, apiKey: 'unused', maxRetries: 0, timeout: 100_000 });
    const Person = z.object({ name: z.string(), age: z.number().int() });
    api.reply('{"name": "Ada", "age": "36"}', 'Corrected: {"name": "Ada", "age": 36}');
    const message = await client.messages.parse({
      model: 'm',
      max_tokens: 200,
      messages: [{ role: 'user', content: 'Ada is 36.' }],
      output_config: { format: zodOutputFormat(Person) },
    });
    expect(message.parsed_output).toEqual({ name: 'Ada', age: 36 });
    expect(JSON.stringify(api.requests.at(-1)!.messages)).toContain('/age must be integer');

    api.reply('nothing', 'nothing again');
    const failed = await g.post('/v1/messages', { model: 'm', max_tokens: 200, messages: [{ role: 'user', content: 'Ada is 36.' }], output_config: { format: { type: 'json_schema', schema: personSchema } } });
    expect(failed.status).toBe(502);
    const body = (await failed.json()) as { type: string; error: { type: string; message: string } };
    expect(body).toMatchObject({ type: 'error', error: { type: 'api_error' } });
    expect(body.error.message).toContain('after one corrective turn');

    const bad = await g.post('/v1/messages', { model: 'm', max_tokens: 200, messages: [{ role: 'user', content: 'x' }], output_config: { format: { type: 'xml' } } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toContain("'output_config.format.type'");
  });
});
