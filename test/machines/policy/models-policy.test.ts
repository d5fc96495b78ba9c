import { describe, expect, it } from 'vitest';
import { expiredModels, isWanted, nextTtlDelay, swapPlan, ttlPending } from '../../../machines/policy/models-policy.js';
import type { ModelEntry, ModelPhase, ModelsContext } from '../../../machines/models-types.js';

const entry = (id: string, phase: ModelPhase, extra: Partial<ModelEntry> = {}): ModelEntry => ({
  id,
  exclusive: null,
  ttlMs: null,
  start: 'on_demand',
  phase,
  waiting: 0,
  inFlight: 0,
  lastUsedAt: 0,
  wantedSeq: 0,
  bootPending: false,
  ...extra,
});
const ctx = (models: ModelEntry[], now = 0): ModelsContext => ({ models, now, ttlCheckAt: 0, seq: 0 });

describe('models policy', () => {
  it.each([
    ['unloaded, requests waiting', entry('a', 'unloaded', { waiting: 1 }), true],
    ['unloaded, boot pending', entry('a', 'unloaded', { bootPending: true }), true],
    ['unloaded, nothing waiting', entry('a', 'unloaded'), false],
    ['stopping, requests waiting', entry('a', 'stopping', { waiting: 2 }), false],
  ])('wanted: %s', (_, model, expected) => expect(isWanted(model)).toBe(expected));

  it.each([
    ['no label: every wanted model loads', [entry('a', 'unloaded', { waiting: 1 }), entry('b', 'unloaded', { waiting: 1 }), entry('c', 'serving')], { load: ['a', 'b'], unload: [] }],
    ['a serving rival unloads', [entry('a', 'unloaded', { waiting: 1, exclusive: 'g' }), entry('b', 'serving', { exclusive: 'g' }), entry('c', 'serving', { exclusive: 'h' })], { load: [], unload: ['b'] }],
    [
      'rivals on their way are waited for',
      [entry('a', 'unloaded', { waiting: 1, exclusive: 'g' }), entry('b', 'starting', { exclusive: 'g' }), entry('c', 'draining', { exclusive: 'g' }), entry('d', 'stopping', { exclusive: 'g' })],
      { load: [], unload: [] },
    ],
    [
      'oldest want loads; the younger one waits for it',
      [entry('a', 'unloaded', { waiting: 1, exclusive: 'g', wantedSeq: 2 }), entry('b', 'unloaded', { waiting: 1, exclusive: 'g', wantedSeq: 1 })],
      { load: ['b'], unload: [] },
    ],
    [
      'a rival is unloaded once, whoever wants it gone',
      [entry('a', 'unloaded', { waiting: 1, exclusive: 'g', wantedSeq: 1 }), entry('b', 'unloaded', { waiting: 1, exclusive: 'g', wantedSeq: 2 }), entry('c', 'serving', { exclusive: 'g' })],
      { load: [], unload: ['c'] },
    ],
  ])('swap plan: %s', (_, models, expected) => expect(swapPlan(ctx(models))).toEqual(expected));

  it('a TTL runs only for a serving model with nothing in flight or waiting', () => {
    const models = [
      entry('idle', 'serving', { ttlMs: 100, lastUsedAt: 50 }),
      entry('busy', 'serving', { ttlMs: 10, inFlight: 1 }),
      entry('waited', 'serving', { ttlMs: 10, waiting: 1 }),
      entry('forever', 'serving'),
      entry('gone', 'unloaded', { ttlMs: 10 }),
    ];
    expect(ttlPending(ctx(models))).toBe(true);
    expect(nextTtlDelay(ctx(models, 60))).toBe(90);
    expect(nextTtlDelay(ctx(models, 500))).toBe(0);
    expect(expiredModels(ctx(models), 149)).toEqual([]);
    expect(expiredModels(ctx(models), 150).map((m) => m.id)).toEqual(['idle']);
    expect(ttlPending(ctx(models.slice(1)))).toBe(false);
    expect(nextTtlDelay(ctx(models.slice(1)))).toBe(0);
  });
});
