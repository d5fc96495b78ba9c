import { Ajv2020 } from 'ajv/dist/2020.js';
import { zodResponseFormat } from 'openai/helpers/zod';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fixture } from '../support/drivers.js';
import { gatewayPerTest } from '../support/start-gateway.js';

const startGateway = gatewayPerTest();

const extractionSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties: {
    entities: { type: 'array', minItems: 1, items: { $ref: '#/$defs/entity' } },
    source: { type: 'string', format: 'uri' },
    confidence: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
    language: { enum: ['en', 'de'] },
    note: { anyOf: [{ type: 'string', minLength: 3 }, { type: 'null' }] },
  },
  required: ['entities', 'source', 'confidence', 'language', 'note'],
  additionalProperties: false,
  $defs: {
    entity: {
      type: 'object',
      properties: { name: { type: 'string', minLength: 1 }, seen: { type: 'string', format: 'date-time' }, tags: { type: 'array', items: { type: 'string' }, minItems: 2 } },
      required: ['name', 'seen', 'tags'],
      additionalProperties: false,
    },
  },
};
const extractionFormat = { type: 'json_schema', json_schema: { name: 'extraction', strict: true, schema: extractionSchema } };
const person = { type: 'object', properties: { name: { type: 'string' } }, required: ['name'], additionalProperties: false };

type Completion = { choices: Array<{ message: { content: string } }> };
const contentOf = async (response: Response) => ((await response.json()) as Completion).choices[0]!.message.content;

describe('structured outputs through the jsonl driver and the reference worker', () => {
  it("the reference worker answers a json_schema request with the schema's minimal valid instance, and json_object with {}", async () => {
    const g = await startGateway();
    const response = await g.post('/v1/chat/completions', { messages: [{ role: 'user', content: 'extract' }], response_format: extractionFormat });
    expect(response.status).toBe(200);
    const instance = JSON.parse(await contentOf(response)) as unknown;
    const validate = new Ajv2020({ strict: false, validateFormats: false }).compile(extractionSchema);
    expect(validate(instance), JSON.stringify(validate.errors)).toBe(true);
    expect(instance).toMatchObject({ entities: [{ name: 'x', tags: ['', ''] }], confidence: 1, language: 'en' });

    const zodFormat = zodResponseFormat(z.object({ count: z.number().int(), maybe: z.string().nullable() }), 'counted');
    const parsed = await g.client().chat.completions.parse({ model: 'm', messages: [{ role: 'user', content: 'count' }], response_format: zodFormat });
    expect(parsed.choices[0]!.message.parsed).toEqual({ count: 0, maybe: '' });

    const object = await g.post('/v1/chat/completions', { messages: [{ role: 'user', content: 'any json' }], response_format: { type: 'json_object' } });
    expect(await contentOf(object)).toBe('{}');
  });

  it('by default the jsonl body reaches the worker as it is: an answer that is not JSON is not checked', async () => {
    const g = await startGateway();
    const response = await g.post('/v1/chat/completions', { messages: [{ role: 'user', content: '[[no-json]] plain' }], response_format: extractionFormat });
    expect(response.status).toBe(200);
    expect(await contentOf(response)).toBe('Echo: plain');
  });

  it('with --structured-output validate, an answer that is not JSON gets one corrective turn, and the correction is served', async () => {
    const g = await startGateway({ flags: ['--structured-output', 'validate'] });
    // [[no-json]] holds for the first turn only: the corrective turn's last user message has no marker.
    const response = await g.post('/v1/chat/completions', { messages: [{ role: 'user', content: '[[no-json]] plain' }], response_format: extractionFormat });
    expect(response.status).toBe(200);
    expect(JSON.parse(await contentOf(response))).toMatchObject({ language: 'en' });
    expect(g.snapshotOf().context.usage.turns).toBe(2);
  });

  it('with --structured-output validate, a worker that keeps answering prose gets one corrective turn, then 502', async () => {
    const g = await startGateway({ flags: ['--structured-output', 'validate'], workerEnv: { REF_WORKER_FAULT: 'no-json' } });
    const response = await g.post('/v1/chat/completions', { messages: [{ role: 'user', content: 'plain' }], response_format: extractionFormat });
    expect(response.status).toBe(502);
    const { error } = (await response.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('invalid_structured_output');
    expect(error.message).toContain('the answer holds no JSON');
    expect(error.message).toContain('Last answer: \"Echo: Your last answer does not conform');
    expect(g.snapshotOf().context.usage.turns).toBe(2);
    const stream = await g.post('/v1/chat/completions', { messages: [{ role: 'user', content: 'plain' }], response_format: { type: 'json_object' }, stream: true });
    expect(stream.status).toBe(502);
    expect(g.snapshotOf().context.usage.turns).toBe(4);
  });

  it('with validation on, a bad response_format is a 400 naming the field, before any worker sees it', async () => {
    const g = await startGateway({ flags: ['--structured-output', 'validate'] });
    const cases: Array<[unknown, string, string]> = [
      ['json', 'response_format', 'an object with a "type"'],
      [{ type: 'yaml' }, 'response_format.type', 'one of "text", "json_object", "json_schema"'],
      [{ type: 'json_schema' }, 'response_format.json_schema', 'an object with "name" and "schema"'],
      [{ type: 'json_schema', json_schema: { name: 'has space', schema: person } }, 'response_format.json_schema.name', 'a name of 1 to 64'],
      [{ type: 'json_schema', json_schema: { name: 'p', schema: [] } }, 'response_format.json_schema.schema', 'a JSON Schema object'],
      [{ type: 'json_schema', json_schema: { name: 'p', schema: { type: 'strnig' } } }, 'response_format.json_schema.schema', 'Invalid schema'],
      [{ type: 'json_schema', json_schema: { name: 'p', strict: true, schema: { ...person, additionalProperties: true } } }, 'response_format.json_schema.schema', '"additionalProperties" must be false'],
      [{ type: 'json_schema', json_schema: { name: 'p', schema: { ...person, $schema: 'http://json-schema.org/draft-04/schema#' } } }, 'response_format.json_schema.schema.$schema', 'draft 2020-12 or draft-07'],
    ];
    for (const [format, param, expected] of cases) {
      const response = await g.post('/v1/chat/completions', { messages: [{ role: 'user', content: 'hi' }], response_format: format });
      expect(response.status, JSON.stringify(format)).toBe(400);
      const { error } = (await response.json()) as { error: { param: string; message: string } };
      expect(error.param, JSON.stringify(format)).toBe(param);
      expect(error.message).toContain(expected);
    }
    expect(g.snapshotOf().context.usage.turns).toBe(0);
  });
});

describe('structured outputs through the openai-http driver', () => {
  it('response_format reaches the model server unchanged, and its answer comes back as it is', async () => {
    const g = await startGateway({ flags: ['--driver', 'openai-http'], workerCommand: [process.execPath, fixture('fake-openai-server.mjs'), '--port', '{port}'] });
    await g.waitForState('healthy');
    const response = await g.post('/v1/chat/completions', { model: 'fake-llama', messages: [{ role: 'user', content: '[[echo-body]]' }], response_format: extractionFormat });
    expect(response.status).toBe(200);
    // The server's answer (its own request body) breaks the schema, and is delivered all the same.
    const received = JSON.parse(await contentOf(response)) as Record<string, unknown>;
    expect(received.response_format).toEqual(extractionFormat);
    expect(received.messages).toEqual([{ role: 'user', content: '[[echo-body]]' }]);
  });
});
