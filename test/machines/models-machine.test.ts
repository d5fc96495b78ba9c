import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import { modelsMachine } from '../../machines/models-machine.js';
import type { ModelsEmitted, ModelSpec } from '../../machines/models-types.js';

const spec = (id: string, extra: Partial<ModelSpec> = {}): ModelSpec => ({ id, exclusive: null, ttlMs: null, start: 'on_demand', ...extra });

// The real machine, a simulated clock, and every event it emits, in order.
function table(models: ModelSpec[]) {
  const clock = new SimulatedClock();
  clock.set(5000);
  const actor = createActor(modelsMachine, { clock, input: { models, now: 5000 } });
  const emitted: ModelsEmitted[] = [];
  actor.on('*', (event) => emitted.push(event));
  actor.start();
  const send = (event: { type: 'request.arrived' | 'request.withdrawn' | 'request.ended' | 'pool.started' | 'pool.stopped' | 'model.unload'; modelId: string }) =>
    actor.send({ ...event, at: clock.now() });
  const drain = () => emitted.splice(0, emitted.length);
  const model = (id: string) => actor.getSnapshot().context.models.find((m) => m.id === id)!;
  return { actor, clock, emitted, drain, send, model };
}

describe('models machine', () => {
  it('a model that starts at boot is started at once; an on-demand one is not', () => {
    const t = table([spec('a', { start: 'boot' }), spec('b')]);
    expect(t.drain()).toEqual([{ type: 'model.loading', modelId: 'a' }, { type: 'pool.start', modelId: 'a' }]);
    expect(t.model('a').phase).toBe('starting');
    expect(t.model('b').phase).toBe('unloaded');
    t.send({ type: 'pool.started', modelId: 'a' });
    expect(t.model('a')).toMatchObject({ phase: 'serving', bootPending: false });
    expect(t.drain()).toEqual([]);
  });

  it('a request for an unloaded model starts it and waits; it is admitted when the pool has started', () => {
    const t = table([spec('a')]);
    t.send({ type: 'request.arrived', modelId: 'a' });
    t.send({ type: 'request.arrived', modelId: 'a' });
    expect(t.drain()).toEqual([{ type: 'model.loading', modelId: 'a' }, { type: 'pool.start', modelId: 'a' }]);
    expect(t.model('a')).toMatchObject({ phase: 'starting', waiting: 2, inFlight: 0 });
    t.send({ type: 'pool.started', modelId: 'a' });
    expect(t.drain()).toEqual([{ type: 'model.admitted', modelId: 'a', count: 2 }]);
    expect(t.model('a')).toMatchObject({ phase: 'serving', waiting: 0, inFlight: 2 });
    t.send({ type: 'request.arrived', modelId: 'a' });
    expect(t.drain()).toEqual([{ type: 'model.admitted', modelId: 'a', count: 1 }]);
    expect(t.model('a').inFlight).toBe(3);
  });

  it('a request that gives up while waiting is no longer counted, and the count never goes below zero', () => {
    const t = table([spec('a')]);
    t.send({ type: 'request.arrived', modelId: 'a' });
    t.send({ type: 'request.withdrawn', modelId: 'a' });
    expect(t.model('a').waiting).toBe(0);
    t.send({ type: 'request.withdrawn', modelId: 'a' });
    expect(t.model('a').waiting).toBe(0);
    t.send({ type: 'pool.started', modelId: 'a' });
    expect(t.drain().filter((e) => e.type === 'model.admitted')).toEqual([]);
  });

  it('a pool that cannot start fails the requests that waited for it and leaves the model unloaded', () => {
    const t = table([spec('a')]);
    t.send({ type: 'request.arrived', modelId: 'a' });
    t.drain();
    t.actor.send({ type: 'pool.failed', modelId: 'a', error: 'spawn ENOENT', at: t.clock.now() });
    expect(t.drain()).toEqual([{ type: 'model.rejected', modelId: 'a', count: 1, error: 'spawn ENOENT' }]);
    expect(t.model('a')).toMatchObject({ phase: 'unloaded', waiting: 0 });
    // Late news of a model not starting changes nothing.
    t.actor.send({ type: 'pool.failed', modelId: 'a', error: 'late', at: t.clock.now() });
    t.send({ type: 'pool.started', modelId: 'a' });
    expect(t.drain()).toEqual([]);
  });

  it('an idle model is unloaded after its TTL, counted from its last request, and another model is untouched', () => {
    const t = table([spec('a', { ttlMs: 1000, start: 'boot' }), spec('b', { start: 'boot' })]);
    t.send({ type: 'pool.started', modelId: 'a' });
    t.send({ type: 'pool.started', modelId: 'b' });
    t.send({ type: 'request.arrived', modelId: 'a' });
    t.clock.increment(5000);
    expect(t.model('a').phase).toBe('serving');
    t.send({ type: 'request.ended', modelId: 'a' });
    t.drain();
    t.clock.increment(999);
    expect(t.drain()).toEqual([]);
    t.clock.increment(1);
    expect(t.drain()).toEqual([{ type: 'model.unloading', modelId: 'a', reason: 'ttl' }, { type: 'pool.stop', modelId: 'a' }]);
    expect(t.model('a').phase).toBe('stopping');
    expect(t.model('b').phase).toBe('serving');
    t.send({ type: 'pool.stopped', modelId: 'a' });
    expect(t.drain()).toEqual([{ type: 'model.unloaded', modelId: 'a' }]);
    // The next request loads it again.
    t.send({ type: 'request.arrived', modelId: 'a' });
    expect(t.drain()).toEqual([{ type: 'model.loading', modelId: 'a' }, { type: 'pool.start', modelId: 'a' }]);
  });

  it('a use pushes the TTL later; a model without a TTL is never unloaded', () => {
    const t = table([spec('a', { ttlMs: 1000, start: 'boot' }), spec('b', { start: 'boot' })]);
    t.send({ type: 'pool.started', modelId: 'a' });
    t.send({ type: 'pool.started', modelId: 'b' });
    t.clock.increment(600);
    t.send({ type: 'request.arrived', modelId: 'a' });
    t.send({ type: 'request.ended', modelId: 'a' });
    t.clock.increment(600);
    expect(t.model('a').phase).toBe('serving');
    t.clock.increment(400);
    expect(t.model('a').phase).toBe('stopping');
    t.clock.increment(1_000_000);
    expect(t.model('b').phase).toBe('serving');
  });

  it('two TTLs run side by side and each ends on time', () => {
    const t = table([spec('a', { ttlMs: 3000, start: 'boot' }), spec('b', { ttlMs: 1000, start: 'boot' })]);
    t.send({ type: 'pool.started', modelId: 'a' });
    t.send({ type: 'pool.started', modelId: 'b' });
    t.clock.increment(1000);
    expect([t.model('a').phase, t.model('b').phase]).toEqual(['serving', 'stopping']);
    t.clock.increment(1999);
    expect(t.model('a').phase).toBe('serving');
    t.clock.increment(1);
    expect(t.model('a').phase).toBe('stopping');
  });

  it('a request in flight holds the TTL off until it ends', () => {
    const t = table([spec('a', { ttlMs: 1000, start: 'boot' })]);
    t.send({ type: 'pool.started', modelId: 'a' });
    t.send({ type: 'request.arrived', modelId: 'a' });
    t.clock.increment(10_000);
    expect(t.model('a').phase).toBe('serving');
    t.send({ type: 'request.ended', modelId: 'a' });
    t.clock.increment(1000);
    expect(t.model('a').phase).toBe('stopping');
  });

  it('serving one of an exclusive pair first drains and stops the other, then starts it', () => {
    const t = table([spec('a', { exclusive: 'gpu', start: 'boot' }), spec('b', { exclusive: 'gpu' }), spec('c')]);
    t.send({ type: 'pool.started', modelId: 'a' });
    t.send({ type: 'request.arrived', modelId: 'a' });
    t.drain();
    t.send({ type: 'request.arrived', modelId: 'b' });
    expect(t.drain()).toEqual([{ type: 'model.unloading', modelId: 'a', reason: 'exclusive' }]);
    expect(t.model('a').phase).toBe('draining');
    // A request for the draining model waits for its next turn.
    t.send({ type: 'request.arrived', modelId: 'a' });
    expect(t.model('a')).toMatchObject({ waiting: 1, inFlight: 1 });
    t.send({ type: 'request.ended', modelId: 'a' });
    expect(t.drain()).toEqual([{ type: 'pool.stop', modelId: 'a' }]);
    t.send({ type: 'pool.stopped', modelId: 'a' });
    expect(t.drain()).toEqual([{ type: 'model.unloaded', modelId: 'a' }, { type: 'model.loading', modelId: 'b' }, { type: 'pool.start', modelId: 'b' }]);
    t.send({ type: 'pool.started', modelId: 'b' });
    // b's request goes in, and only then does b make way for a again.
    expect(t.drain()).toEqual([{ type: 'model.admitted', modelId: 'b', count: 1 }, { type: 'model.unloading', modelId: 'b', reason: 'exclusive' }]);
    expect(t.model('b')).toMatchObject({ phase: 'draining', inFlight: 1 });
    expect(t.model('c').phase).toBe('unloaded');
  });

  it('an idle rival is stopped at once; a rival still starting is waited for', () => {
    const t = table([spec('a', { exclusive: 'gpu' }), spec('b', { exclusive: 'gpu' })]);
    t.send({ type: 'request.arrived', modelId: 'a' });
    t.send({ type: 'request.arrived', modelId: 'b' });
    expect(t.drain()).toEqual([{ type: 'model.loading', modelId: 'a' }, { type: 'pool.start', modelId: 'a' }]);
    t.send({ type: 'pool.started', modelId: 'a' });
    t.send({ type: 'request.ended', modelId: 'a' });
    expect(t.drain()).toEqual([{ type: 'model.admitted', modelId: 'a', count: 1 }, { type: 'model.unloading', modelId: 'a', reason: 'exclusive' }, { type: 'pool.stop', modelId: 'a' }]);
  });

  it('of two models wanted under one label, the one wanted first loads first', () => {
    const t = table([spec('a', { exclusive: 'gpu' }), spec('b', { exclusive: 'gpu' }), spec('c', { exclusive: 'gpu', start: 'boot' })]);
    t.send({ type: 'request.arrived', modelId: 'b' });
    t.send({ type: 'request.arrived', modelId: 'a' });
    t.drain();
    t.send({ type: 'pool.started', modelId: 'c' });
    expect(t.drain()).toEqual([{ type: 'model.unloading', modelId: 'c', reason: 'exclusive' }, { type: 'pool.stop', modelId: 'c' }]);
    t.send({ type: 'pool.stopped', modelId: 'c' });
    expect(t.drain()).toEqual([{ type: 'model.unloaded', modelId: 'c' }, { type: 'model.loading', modelId: 'b' }, { type: 'pool.start', modelId: 'b' }]);
  });

  it('an operator unloads a serving model (draining it); unloading one that is not serving changes nothing', () => {
    const t = table([spec('a', { start: 'boot' }), spec('b')]);
    t.send({ type: 'model.unload', modelId: 'a' });
    t.send({ type: 'model.unload', modelId: 'b' });
    t.send({ type: 'model.unload', modelId: 'nope' });
    expect(t.model('a').phase).toBe('starting');
    t.send({ type: 'pool.started', modelId: 'a' });
    t.send({ type: 'request.arrived', modelId: 'a' });
    t.drain();
    t.send({ type: 'model.unload', modelId: 'a' });
    expect(t.drain()).toEqual([{ type: 'model.unloading', modelId: 'a', reason: 'admin' }]);
    t.send({ type: 'request.ended', modelId: 'a' });
    expect(t.drain()).toEqual([{ type: 'pool.stop', modelId: 'a' }]);
    // A stop reported for a model that is not stopping is ignored.
    t.send({ type: 'pool.stopped', modelId: 'b' });
    expect(t.model('b').phase).toBe('unloaded');
    expect(t.drain()).toEqual([]);
  });

  it('events naming no model change nothing; an end never counts below zero', () => {
    const t = table([spec('a', { start: 'boot' })]);
    t.send({ type: 'pool.started', modelId: 'a' });
    const before = t.actor.getSnapshot().context.models;
    for (const type of ['request.arrived', 'request.ended', 'pool.started', 'pool.stopped'] as const) t.send({ type, modelId: 'nope' });
    t.actor.send({ type: 'pool.failed', modelId: 'nope', error: 'x', at: 0 });
    expect(t.actor.getSnapshot().context.models).toEqual(before);
    t.send({ type: 'request.ended', modelId: 'a' });
    expect(t.model('a').inFlight).toBe(0);
    expect(t.model('a').phase).toBe('serving');
  });

  it('stop ends the table', () => {
    const t = table([spec('a', { start: 'boot' })]);
    t.actor.send({ type: 'stop' });
    expect(t.actor.getSnapshot().status).toBe('done');
  });
});
