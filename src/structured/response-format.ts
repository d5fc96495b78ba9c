import { InvalidRequestError } from '../errors.js';
import { checkStrictSubset } from './strict-subset.js';

export type JsonSchema = Record<string, unknown>;

/** What a request's `response_format` asks of the answer. */
export type StructuredFormat =
  | { kind: 'json_object' }
  | { kind: 'json_schema'; name: string; description: string | null; schema: JsonSchema; strict: boolean };

const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const shown = (value: unknown) => {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 60)}…` : text;
};

function fail(field: string, expected: string, value: unknown): never {
  throw new InvalidRequestError(field, `Invalid value for '${field}': expected ${expected}, got ${shown(value)}`);
}

// The request's `response_format` (OpenAI's shape), checked; null when the answer may be any text.
export function readResponseFormat(body: Record<string, unknown>): StructuredFormat | null {
  const format = body.response_format;
  if (format === undefined || format === null) return null;
  if (!isObject(format)) fail('response_format', 'an object with a "type"', format);
  switch (format.type) {
    case 'text':
      return null;
    case 'json_object':
      return { kind: 'json_object' };
    case 'json_schema':
      break;
    default:
      fail('response_format.type', 'one of "text", "json_object", "json_schema"', format.type);
  }
  const spec = format.json_schema;
  if (!isObject(spec)) fail('response_format.json_schema', 'an object with "name" and "schema"', spec);
  if (typeof spec.name !== 'string' || !NAME.test(spec.name)) fail('response_format.json_schema.name', 'a name of 1 to 64 letters, digits, _ or -', spec.name);
  if (spec.description !== undefined && typeof spec.description !== 'string') fail('response_format.json_schema.description', 'a string', spec.description);
  if (spec.strict !== undefined && spec.strict !== null && typeof spec.strict !== 'boolean') fail('response_format.json_schema.strict', 'a boolean', spec.strict);
  // OpenAI lets a json_schema format leave out its schema: then any JSON object will do.
  if (spec.schema === undefined) return { kind: 'json_object' };
  if (!isObject(spec.schema)) fail('response_format.json_schema.schema', 'a JSON Schema object', spec.schema);
  const strict = spec.strict === true;
  if (strict) checkStrictSubset(spec.schema, 'response_format.json_schema.schema');
  return { kind: 'json_schema', name: spec.name, description: spec.description ?? null, schema: spec.schema, strict };
}
