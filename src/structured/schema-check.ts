import { Ajv, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { InvalidRequestError } from '../errors.js';
import { extractJson } from './extract-json.js';
import { linearRegExp } from './linear-regexp.js';
import type { StructuredFormat } from './response-format.js';
import { createSchemaCache } from './schema-cache.js';
import { checkSchemaLimits } from './schema-limits.js';

/** An answer checked against the format: its JSON (compact) or what failed, in words. */
export type Verdict = { ok: true; json: string } | { ok: false; failure: string };

// ajv-formats is CommonJS: its default export arrives wrapped under ESM.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (ajv: Ajv) => Ajv;

// Patterns run on RE2's linear-time engine (linear-regexp.ts), never on backtracking RegExp.
const options = { allErrors: true, strict: false, validateFormats: true, code: { regExp: linearRegExp } } as const;
const DRAFT_07 = /^https?:\/\/json-schema\.org\/draft-0[67]\/schema#?$/;
const DRAFT_2020 = /^https?:\/\/json-schema\.org\/draft\/2020-12\/schema#?$/;

/** The compiled-schema cache's budget: the bytes of schema source compiled and kept (see schema-cache.ts). */
export const SCHEMA_CACHE_BYTES = 1024 * 1024;

// ajv keeps all it compiled: a new pair of instances begins each time the cache starts afresh.
const newCompilers = () => ({ draft2020: addFormats(new Ajv2020(options) as unknown as Ajv), draft07: addFormats(new Ajv(options)) });
let compilers = newCompilers();

// A pipeline sends the same few schemas over and over: each is compiled once while the cache holds it.
const compiled = createSchemaCache<ValidateFunction>(SCHEMA_CACHE_BYTES, () => {
  compilers = newCompilers();
});

/** The compiled-schema cache as it is now: bytes of schema compiled and kept, schemas, fresh starts. */
export const schemaCacheFigures = () => ({ bytes: compiled.bytes(), entries: compiled.size(), flushes: compiled.flushes() });

function compile(schema: Record<string, unknown>): ValidateFunction {
  const key = checkSchemaLimits(schema);
  const cached = compiled.get(key);
  if (cached) return cached;
  const field = 'response_format.json_schema.schema';
  const declared = schema.$schema;
  if (declared !== undefined && (typeof declared !== 'string' || !(DRAFT_07.test(declared) || DRAFT_2020.test(declared)))) {
    throw new InvalidRequestError(`${field}.$schema`, `Invalid value for '${field}.$schema': expected JSON Schema draft 2020-12 or draft-07, got ${JSON.stringify(declared)}`);
  }
  compiled.charge(Buffer.byteLength(key));
  const ajv = typeof declared === 'string' && DRAFT_07.test(declared) ? compilers.draft07 : compilers.draft2020;
  let validate: ValidateFunction;
  try {
    // The same $id in two requests' schemas must not clash in ajv's registry.
    const { $id: _id, ...anonymous } = schema;
    validate = ajv.compile(anonymous);
  } catch (error) {
    throw new InvalidRequestError(field, `Invalid schema for '${field}': ${(error as Error).message}`);
  }
  compiled.set(key, validate);
  return validate;
}

const describeErrors = (validate: ValidateFunction) =>
  (validate.errors ?? [])
    .slice(0, 10)
    .map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}${e.keyword === 'additionalProperties' ? ` ("${String(e.params.additionalProperty)}")` : ''}${e.keyword === 'enum' ? ` (${JSON.stringify(e.params.allowedValues)})` : ''}`)
    .join('; ');

// Compiles the format's check once per request (a bad schema → 400 naming the field); the check reads
// an answer's text and says whether it holds JSON the format accepts.
export function schemaCheck(format: StructuredFormat): (answer: string) => Verdict {
  const validate = format.kind === 'json_schema' ? compile(format.schema) : null;
  return (answer) => {
    const found = extractJson(answer);
    if (!found) return { ok: false, failure: 'the answer holds no JSON (no object, array or code fence that parses)' };
    if (!validate) {
      const isObject = typeof found.value === 'object' && found.value !== null && !Array.isArray(found.value);
      return isObject ? { ok: true, json: JSON.stringify(found.value) } : { ok: false, failure: 'the JSON is not an object' };
    }
    if (validate(found.value)) return { ok: true, json: JSON.stringify(found.value) };
    return { ok: false, failure: describeErrors(validate) };
  };
}
