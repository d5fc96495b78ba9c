import { InvalidRequestError } from '../errors.js';

/** The largest `response_format` schema accepted, as compact JSON. */
export const MAX_SCHEMA_BYTES = 64 * 1024;
/** The deepest nesting (objects and arrays) a schema may have. */
export const MAX_SCHEMA_DEPTH = 64;

const FIELD = 'response_format.json_schema.schema';

// A schema is compiled into code, and compiling costs far more than its size (a 3 MB schema took
// over a minute and gigabytes): it is refused (400, naming the limit) before ajv sees it when it is
// larger or deeper than lifeguard's limits. Returns its compact JSON (the compiled-schema cache's key).
export function checkSchemaLimits(schema: Record<string, unknown>): string {
  const depth = depthOf(schema, MAX_SCHEMA_DEPTH);
  if (depth > MAX_SCHEMA_DEPTH) {
    throw new InvalidRequestError(FIELD, `Invalid value for '${FIELD}': the schema nests more than ${MAX_SCHEMA_DEPTH} levels deep (MAX_SCHEMA_DEPTH, objects and arrays)`);
  }
  const text = JSON.stringify(schema);
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_SCHEMA_BYTES) {
    throw new InvalidRequestError(FIELD, `Invalid value for '${FIELD}': the schema is ${bytes} bytes as JSON, more than the limit of ${MAX_SCHEMA_BYTES} bytes (MAX_SCHEMA_BYTES)`);
  }
  return text;
}

// The nesting depth of a JSON value, counted no further than one past `limit` (so the walk is bounded).
function depthOf(value: unknown, limit: number): number {
  if (typeof value !== 'object' || value === null) return 0;
  if (limit < 0) return 1;
  let deepest = 0;
  for (const inner of Array.isArray(value) ? value : Object.values(value)) {
    deepest = Math.max(deepest, depthOf(inner, limit - 1));
    if (deepest > limit) break;
  }
  return deepest + 1;
}
