import { describe, expect, it } from 'vitest';
import { createSchemaCache } from '../../src/structured/schema-cache.js';
import { SCHEMA_CACHE_BYTES, schemaCacheFigures, schemaCheck } from '../../src/structured/schema-check.js';
import { MAX_SCHEMA_BYTES } from '../../src/structured/schema-limits.js';

describe('the compiled-schema cache is bounded by bytes, not count', () => {
  it('keeps what fits the budget, then lets everything go at once and says so', () => {
    let flushed = 0;
    const cache = createSchemaCache<string>(100, () => flushed++);
    cache.charge(40);
    cache.set('a', 'A');
    cache.charge(60);
    cache.set('b', 'B');
    expect([cache.get('a'), cache.get('b'), cache.bytes(), cache.size(), flushed]).toEqual(['A', 'B', 100, 2, 0]);
    cache.charge(1);
    expect([cache.get('a'), cache.get('b'), cache.bytes(), cache.size(), flushed, cache.flushes()]).toEqual([undefined, undefined, 1, 0, 1, 1]);
  });

  it('one source heavier than the whole budget is compiled alone (no flush loop)', () => {
    let flushed = 0;
    const cache = createSchemaCache<string>(100, () => flushed++);
    cache.charge(500);
    cache.set('big', 'BIG');
    expect([cache.get('big'), flushed]).toEqual(['BIG', 0]);
    cache.charge(10);
    expect([cache.get('big'), flushed, cache.bytes()]).toEqual([undefined, 1, 10]);
  });

  it('many distinct large schemas never hold more than the budget; a repeated one is compiled once', () => {
    const schemaOf = (i: number) => ({ type: 'object', description: `${i} ${'d'.repeat(MAX_SCHEMA_BYTES - 100)}`, properties: { n: { type: 'number' } } });
    const flushesBefore = schemaCacheFigures().flushes;
    for (let i = 0; i < 3 * Math.ceil(SCHEMA_CACHE_BYTES / MAX_SCHEMA_BYTES); i++) {
      const check = schemaCheck({ kind: 'json_schema', name: 'n', description: null, schema: schemaOf(i), strict: false });
      expect(check('{"n":"not a number"}').ok).toBe(false);
      expect(schemaCacheFigures().bytes).toBeLessThanOrEqual(SCHEMA_CACHE_BYTES);
    }
    expect(schemaCacheFigures().flushes - flushesBefore).toBeGreaterThanOrEqual(2);
    const small = { type: 'object', properties: { s: { type: 'string' } } };
    schemaCheck({ kind: 'json_schema', name: 'n', description: null, schema: small, strict: false });
    const { bytes, entries } = schemaCacheFigures();
    schemaCheck({ kind: 'json_schema', name: 'n', description: null, schema: structuredClone(small), strict: false });
    expect(schemaCacheFigures()).toMatchObject({ bytes, entries });
  });
});
