import { describe, expect, it } from 'vitest';
import { classifyExit } from '../../../machines/policy/exit-classification.js';

describe('classifyExit', () => {
  it.each([
    [{ code: 0, signal: null, requested: false }, 'clean'],
    [{ code: 1, signal: null, requested: false }, 'crash'],
    [{ code: 137, signal: null, requested: false }, 'crash'],
    [{ code: null, signal: 'SIGKILL', requested: false }, 'crash'],
    [{ code: null, signal: 'SIGSEGV', requested: false }, 'crash'],
    [{ code: 0, signal: 'SIGTERM', requested: false }, 'crash'],
    [{ code: null, signal: 'SIGTERM', requested: true }, 'requested'],
    [{ code: 0, signal: null, requested: true }, 'requested'],
    [{ code: 1, signal: null, requested: true }, 'requested'],
    [{ code: null, signal: null, requested: false, spawnError: 'ENOENT' }, 'crash'],
    [{ code: null, signal: null, requested: true, spawnError: 'EACCES' }, 'crash'],
  ] as const)('%o is %s', (facts, expected) => {
    expect(classifyExit(facts)).toBe(expected);
  });
});
