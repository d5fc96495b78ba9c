import { describe, expect, it } from 'vitest';
import { MAX_SCHEMA_BYTES, MAX_SCHEMA_DEPTH } from '../../src/structured/schema-limits.js';
import { gatewayPerTest } from '../support/start-gateway.js';

const start = gatewayPerTest();
const VALIDATE = ['--structured-output', 'validate'];

const format = (schema: unknown) => ({ type: 'json_schema', json_schema: { name: 'bounded', schema } });
type ErrorBody = { error: { code: string; param: string; message: string } };

describe('structured outputs in validate mode are bounded (issue 22)', () => {
  it('pattern "^(x+)+y$" against a 40-x answer is checked in linear time: the request ends and /livez answers meanwhile', async () => {
    const g = await start({ flags: VALIDATE });
    await g.waitForState('healthy');
    // The reference worker answers the minimal instance: 40 x's, which the pattern refuses (no y) —
    // a backtracking engine takes 2^40 steps to say so.
    const schema = { type: 'object', properties: { code: { type: 'string', minLength: 40, pattern: '^(x+)+y$' } }, required: ['code'] };
    const answered = g.post('/v1/chat/completions', { messages: [{ role: 'user', content: 'a code' }], response_format: format(schema) });
    const livez = await Promise.all(Array.from({ length: 5 }, () => g.get('/livez').then((r) => r.status)));
    expect(livez).toEqual([200, 200, 200, 200, 200]);
    const response = await answered;
    expect(response.status).toBe(502);
    expect(((await response.json()) as ErrorBody).error).toMatchObject({ code: 'invalid_structured_output', message: expect.stringContaining('must match pattern') });

    // And a pattern the answer does meet passes.
    const passing = { type: 'object', properties: { code: { type: 'string', minLength: 40, pattern: '^(x+)+$' } }, required: ['code'] };
    const ok = await g.post('/v1/chat/completions', { messages: [{ role: 'user', content: 'a code' }], response_format: format(passing) });
    expect(ok.status).toBe(200);
  });

  it('a pattern the linear-time engine cannot run (a backreference) is a 400 naming the schema', async () => {
    const g = await start({ flags: VALIDATE });
    await g.waitForState('healthy');
    const schema = { type: 'object', properties: { word: { type: 'string', pattern: '^(a+)\\1$' } } };
    const response = await g.post('/v1/chat/completions', { messages: [{ role: 'user', content: 'x' }], response_format: format(schema) });
    expect(response.status).toBe(400);
    expect(((await response.json()) as ErrorBody).error).toMatchObject({ param: 'response_format.json_schema.schema', message: expect.stringContaining('linear-time engine') });
  });

  it('a 3 MB schema of 60 000 properties is a fast 400 naming the size limit, and a schema nested too deep one naming the depth limit', async () => {
    const g = await start({ flags: VALIDATE });
    await g.waitForState('healthy');
    const properties = Object.fromEntries(Array.from({ length: 60_000 }, (_, i) => [`property_number_${i}`, { type: 'string' }]));
    const huge = { type: 'object', properties };
    expect(JSON.stringify(huge).length).toBeGreaterThan(2_000_000);
    const response = await g.post('/v1/chat/completions', { messages: [{ role: 'user', content: 'x' }], response_format: format(huge) });
    expect(response.status).toBe(400);
    expect(((await response.json()) as ErrorBody).error).toMatchObject({ param: 'response_format.json_schema.schema', message: expect.stringContaining(`limit of ${MAX_SCHEMA_BYTES} bytes`) });
    expect((await g.get('/livez')).status).toBe(200);

    let deep: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < MAX_SCHEMA_DEPTH; i++) deep = { type: 'array', items: deep };
    const tooDeep = await g.post('/v1/chat/completions', { messages: [{ role: 'user', content: 'x' }], response_format: format({ type: 'object', properties: { list: deep } }) });
    expect(tooDeep.status).toBe(400);
    expect(((await tooDeep.json()) as ErrorBody).error.message).toContain(`more than ${MAX_SCHEMA_DEPTH} levels deep`);
  });
});
