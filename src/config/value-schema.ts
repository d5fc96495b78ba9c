import { z } from 'zod';
import type { KeySpec } from './config-keys.js';

// What a key accepts, in words for the one-line error: "port: "x" (from --port) is not <expected>".
export function describeExpected(spec: KeySpec): string {
  switch (spec.type) {
    case 'port':
      return 'an integer port from 0 to 65535';
    case 'int':
      return spec.max === undefined ? `an integer ≥ ${spec.min ?? 0}` : `an integer from ${spec.min ?? 0} to ${spec.max}`;
    case 'choice':
      return `one of ${spec.choices!.join(', ')}`;
    case 'bool':
      return 'true or false';
    case 'keys':
      return 'name=key pairs separated by commas (a file may give a mapping of name to key or to {key, isolation})';
    default:
      return 'a non-empty string';
  }
}

// An integer from a flag or variable (text) or from the config file (a YAML number).
const integer = z.union([z.number(), z.string().trim().regex(/^-?\d+$/).transform(Number)]).pipe(z.number().int().refine(Number.isSafeInteger));

// The value schema of one key: flags and variables arrive as text, the config file as YAML values.
export function valueSchema(spec: KeySpec): z.ZodType<number | string | boolean> {
  switch (spec.type) {
    case 'port':
      return integer.pipe(z.number().min(0).max(65535));
    case 'int':
      return integer.pipe(z.number().min(spec.min ?? 0).max(spec.max ?? Number.MAX_SAFE_INTEGER));
    case 'bool':
      return z.union([z.boolean(), z.enum(['true', '1']).transform(() => true), z.enum(['false', '0']).transform(() => false)]);
    case 'choice':
      return z.enum(spec.choices as [string, ...string[]]);
    default:
      return z.string().min(1);
  }
}
