import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../src/errors.js';
import { readResponseFormat, type StructuredFormat } from '../../src/structured/response-format.js';
import { schemaCheck } from '../../src/structured/schema-check.js';
import { checkStrictSubset } from '../../src/structured/strict-subset.js';

const format = (schema: Record<string, unknown>, strict = false) =>
  readResponseFormat({ response_format: { type: 'json_schema', json_schema: { name: 'test', strict, schema } } }) as StructuredFormat;

const person = {
  type: 'object',
  properties: { name: { type: 'string' }, age: { type: ['integer', 'null'] }, email: { type: 'string', format: 'email' } },
  required: ['name', 'age', 'email'],
  additionalProperties: false,
};

describe('schemaCheck validates an answer against the response_format', () => {
  const check = schemaCheck(format(person, true));
  it.each([
    ['a conforming object, compacted', '{ "name": "Ada", "age": null, "email": "ada@example.com" }', { ok: true, json: '{"name":"Ada","age":null,"email":"ada@example.com"}' }],
    ['a wrong type', '{"name": "Ada", "age": "36", "email": "ada@example.com"}', { ok: false, failure: '/age must be integer,null' }],
    ['a missing property and an extra one', '{"name": "Ada", "email": "ada@example.com", "x": 1}', { ok: false, failure: `(root) must have required property 'age'; (root) must NOT have additional properties ("x")` }],
    ['a format (draft 2020-12 formats are checked)', '{"name": "Ada", "age": 1, "email": "nope"}', { ok: false, failure: '/email must match format "email"' }],
    ['no JSON at all', 'Ada is 36.', { ok: false, failure: 'the answer holds no JSON (no object, array or code fence that parses)' }],
  ])('%s', (_, answer, verdict) => {
    expect(check(answer)).toEqual(verdict);
  });

  it('json_object accepts any object and refuses other JSON', () => {
    const object = schemaCheck({ kind: 'json_object' });
    expect(object('ok: {"a": [1]}')).toEqual({ ok: true, json: '{"a":[1]}' });
    expect(object('[1, 2]')).toEqual({ ok: false, failure: 'the JSON is not an object' });
  });

  it("a draft-07 schema (the OpenAI SDK's zod helper writes one) is read as draft-07: definitions and $ref", () => {
    const check07 = schemaCheck(
      format({ $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', definitions: { n: { type: 'integer' } }, properties: { n: { $ref: '#/definitions/n' } }, required: ['n'] }),
    );
    expect(check07('{"n": 2}')).toMatchObject({ ok: true });
    expect(check07('{"n": 2.5}')).toEqual({ ok: false, failure: '/n must be integer' });
  });

  it('two schemas with the same $id do not clash', () => {
    const a = schemaCheck(format({ $id: 'https://example.com/s', type: 'object', required: ['a'] }));
    const b = schemaCheck(format({ $id: 'https://example.com/s', type: 'object', required: ['b'] }));
    expect(a('{"a": 1}')).toMatchObject({ ok: true });
    expect(b('{"b": 1}')).toMatchObject({ ok: true });
  });
});

describe("checkStrictSubset holds a strict schema to OpenAI's subset", () => {
  const reasonOf = (schema: Record<string, unknown>) => {
    try {
      checkStrictSubset(schema, 'f');
      return null;
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidRequestError);
      return (error as Error).message.replace("Invalid schema for 'f' (strict): ", '');
    }
  };
  const object = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    type: 'object',
    properties,
    required: Object.keys(properties),
    additionalProperties: false,
    ...extra,
  });

  it.each([
    ['a conforming nested schema', object({ a: { type: 'array', items: object({ b: { anyOf: [{ type: 'string' }, { type: 'null' }] } }) } }), null],
    ['$defs and $ref', object({ a: { $ref: '#/$defs/x' } }, { $defs: { x: object({ y: { type: 'number' } }) } }), null],
    ['a root that is not an object', { type: 'array', items: { type: 'string' } }, 'at #, the root must be an object schema ("type": "object"), not anyOf'],
    ['additionalProperties left open', { ...object({ a: { type: 'string' } }), additionalProperties: true }, 'at #, "additionalProperties" must be false'],
    ['an optional property', { ...object({ a: { type: 'string' }, b: { type: 'string' } }), required: ['a'] }, 'at #, "required" must list every property; missing "b"'],
    ['a nested object breaking the rule', object({ a: { type: 'object', properties: { b: { type: 'string' } } } }), 'at #/properties/a, "additionalProperties" must be false'],
    ['a bad definition', object({}, { $defs: { x: { type: 'object', properties: {} } } }), 'at #/$defs/x, "additionalProperties" must be false'],
    ['an unsupported keyword', object({ a: { allOf: [{ type: 'string' }] } }), 'at #/properties/a, "allOf" is not supported in strict mode'],
    ['an object in a union', object({ a: { anyOf: [{ type: 'object', properties: { b: {} }, additionalProperties: false }] } }), 'at #/properties/a/anyOf/0, "required" must list every property; missing "b"'],
  ])('%s', (_, schema, reason) => {
    expect(reasonOf(schema as Record<string, unknown>)).toBe(reason);
  });

  it('more than 10 levels of nested objects are refused', () => {
    let schema: Record<string, unknown> = object({ leaf: { type: 'string' } });
    for (let level = 0; level < 10; level++) schema = object({ child: schema });
    expect(reasonOf(schema)).toMatch(/objects nest deeper than 10 levels/);
  });
});
