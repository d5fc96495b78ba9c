import { InvalidRequestError } from '../errors.js';

// Keywords OpenAI's strict structured outputs refuse (https://platform.openai.com/docs/guides/structured-outputs#supported-schemas).
const UNSUPPORTED = [
  'allOf', 'not', 'if', 'then', 'else', 'dependentRequired', 'dependentSchemas', 'patternProperties',
  'unevaluatedProperties', 'unevaluatedItems', 'propertyNames', 'minProperties', 'maxProperties', 'contains',
  'minContains', 'maxContains', 'uniqueItems',
];
const MAX_DEPTH = 10;

type Schema = Record<string, unknown>;
const isObject = (value: unknown): value is Schema => typeof value === 'object' && value !== null && !Array.isArray(value);

const isObjectSchema = (schema: Schema) =>
  schema.type === 'object' || (Array.isArray(schema.type) && schema.type.includes('object')) || isObject(schema.properties);

// Rejects (400, naming the place) a `strict: true` schema outside OpenAI's strict subset: the root is an
// object; every object lists all its properties in `required` and sets `additionalProperties: false`;
// no unsupported keyword; at most 10 levels of nesting.
export function checkStrictSubset(root: Schema, field: string): void {
  const fail = (path: string, message: string): never => {
    throw new InvalidRequestError(field, `Invalid schema for '${field}' (strict): at ${path}, ${message}`);
  };
  if (!isObjectSchema(root) || root.anyOf !== undefined) fail('#', 'the root must be an object schema ("type": "object"), not anyOf');

  const visit = (schema: unknown, path: string, depth: number): void => {
    if (!isObject(schema)) return;
    if (depth > MAX_DEPTH) fail(path, `objects nest deeper than ${MAX_DEPTH} levels`);
    for (const keyword of UNSUPPORTED) if (schema[keyword] !== undefined) fail(path, `"${keyword}" is not supported in strict mode`);
    if (isObjectSchema(schema)) {
      if (schema.additionalProperties !== false) fail(path, '"additionalProperties" must be false');
      const properties = isObject(schema.properties) ? Object.keys(schema.properties) : [];
      const required = Array.isArray(schema.required) ? schema.required : [];
      const missing = properties.filter((name) => !required.includes(name));
      if (missing.length) fail(path, `"required" must list every property; missing ${missing.map((m) => `"${m}"`).join(', ')}`);
    }
    const nested = isObjectSchema(schema) ? depth + 1 : depth;
    if (isObject(schema.properties)) for (const [name, child] of Object.entries(schema.properties)) visit(child, `${path}/properties/${name}`, nested);
    for (const key of ['$defs', 'definitions']) {
      const defs = schema[key];
      if (isObject(defs)) for (const [name, child] of Object.entries(defs)) visit(child, `${path}/${key}/${name}`, 1);
    }
    if (isObject(schema.items)) visit(schema.items, `${path}/items`, nested);
    for (const key of ['anyOf', 'prefixItems']) {
      const list = schema[key];
      if (Array.isArray(list)) list.forEach((child, i) => visit(child, `${path}/${key}/${i}`, nested));
    }
  };
  visit(root, '#', 1);
}
