import { describe, expect, it } from 'vitest';
import { schemaCheck } from '../../src/structured/schema-check.js';

const checkOf = (properties: Record<string, unknown>) =>
  schemaCheck({ kind: 'json_schema', name: 'n', description: null, schema: { type: 'object', properties, required: Object.keys(properties) }, strict: false });

describe('JSON Schema patterns on the linear-time engine', () => {
  it('each pattern is its own: two patterns in one schema and across schemas are told apart', () => {
    const check = checkOf({ a: { type: 'string', pattern: '^a+$' }, b: { type: 'string', pattern: '^b+$' } });
    expect(check('{"a":"aaa","b":"bbb"}').ok).toBe(true);
    expect(check('{"a":"bbb","b":"bbb"}')).toMatchObject({ ok: false, failure: expect.stringContaining('/a must match pattern "^a+$"') });
    expect(checkOf({ c: { type: 'string', pattern: '^c$' } })('{"c":"aaa"}').ok).toBe(false);
  });

  it('"^(x+)+y$" against 5 000 x\'s is refused at once, as JSON Schema means it (unanchored search, anchors honoured)', () => {
    const check = checkOf({ code: { type: 'string', pattern: '^(x+)+y$' } });
    expect(check(JSON.stringify({ code: 'x'.repeat(5000) })).ok).toBe(false);
    expect(check(JSON.stringify({ code: `${'x'.repeat(5000)}y` })).ok).toBe(true);
    expect(checkOf({ word: { type: 'string', pattern: 'ell' } })('{"word":"hello"}').ok).toBe(true);
  });

  it('patternProperties use the same engine', () => {
    const check = schemaCheck({ kind: 'json_schema', name: 'n', description: null, schema: { type: 'object', patternProperties: { '^(x+)+y$': { type: 'number' } } }, strict: false });
    expect(check(JSON.stringify({ [`${'x'.repeat(64)}y`]: 'not a number' })).ok).toBe(false);
    expect(check(JSON.stringify({ [`${'x'.repeat(64)}`]: 'not matched, so free' })).ok).toBe(true);
  });
});
