import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import type { ModelsEmitted, ModelsEvent, ModelSpec } from '../../machines/models-types.js';

const spec = (id: string, extra: Partial<ModelSpec> = {}): ModelSpec => ({ id, exclusive: null, ttlMs: null, start: 'on_demand', ...extra });

type ModelEventType = Exclude<ModelsEvent['type'], 'stop' | 'pool.failed'>;

// The real machine on a simulated clock started at `start`, and every event it emits. It is imported in
// each test, so a statechart that cannot be built fails these tests rather than only their collection.
async function table(models: ModelSpec[], start = 5000) {
  const { modelsMachine } = await import('../../machines/models-machine.js');
  const clock = new SimulatedClock();
  clock.set(start);
  const actor = createActor(modelsMachine, { clock, input: { models, now: start } });
  const emitted: ModelsEmitted[] = [];
  actor.on('*', (event) => emitted.push(event));
  actor.start();
  /** Sends an event stamped with the clock's reading, or with `at` when given. */
  const send = (type: ModelEventType, modelId: string, at = clock.now()) => actor.send({ type, modelId, at });
  const fail = (modelId: string, at = clock.now()) => actor.send({ type: 'pool.failed', modelId, error: 'spawn ENOENT', at });
  const drain = () => emitted.splice(0, emitted.length);
  const model = (id: string) => actor.getSnapshot().context.models.find((m) => m.id === id)!;
  const state = () => actor.getSnapshot().value;
  const now = () => actor.getSnapshot().context.now;
  return { actor, clock, drain, send, fail, model, state, now };
}

const QUIET = { running: 'quiet' };
const WATCHING = { running: 'watching' };

describe('models machine edges', () => {
  it('a table started at a clock reading counts every model as last used then, and rests quiet while no TTL runs', async () => {
    const t = await table([spec('a', { ttlMs: 1000 }), spec('b')]);
    expect(t.model('a').lastUsedAt).toBe(5000);
    expect(t.model('b').lastUsedAt).toBe(5000);
    expect(t.now()).toBe(5000);
    expect(t.state()).toEqual(QUIET);
    expect(t.actor.getSnapshot().status).toBe('active');
  });

  it('a request that makes the only idle model busy ends the TTL watch; its end starts the watch again', async () => {
    const t = await table([spec('a', { ttlMs: 1000, start: 'boot' })]);
    t.send('pool.started', 'a');
    expect(t.state()).toEqual(WATCHING);
    t.send('request.arrived', 'a');
    expect(t.state()).toEqual(QUIET);
    t.clock.increment(5000);
    expect(t.model('a').phase).toBe('serving');
    t.send('request.ended', 'a');
    expect(t.state()).toEqual(WATCHING);
    t.drain();
    t.clock.increment(1000);
    expect(t.drain()).toEqual([{ type: 'model.unloading', modelId: 'a', reason: 'ttl' }, { type: 'pool.stop', modelId: 'a' }]);
    expect(t.state()).toEqual(QUIET);
  });

  it('an operator unloading the only idle model ends the TTL watch, so no TTL unload follows', async () => {
    const t = await table([spec('a', { ttlMs: 1000, start: 'boot' })]);
    t.send('pool.started', 'a');
    expect(t.state()).toEqual(WATCHING);
    t.drain();
    t.send('model.unload', 'a');
    expect(t.drain()).toEqual([{ type: 'model.unloading', modelId: 'a', reason: 'admin' }, { type: 'pool.stop', modelId: 'a' }]);
    expect(t.model('a').phase).toBe('stopping');
    expect(t.state()).toEqual(QUIET);
    t.clock.increment(10_000);
    expect(t.drain()).toEqual([]);
  });

  it('a pool that cannot start makes way at once for a rival waiting under the same label', async () => {
    const t = await table([spec('a', { exclusive: 'gpu' }), spec('b', { exclusive: 'gpu' })]);
    t.send('request.arrived', 'a');
    t.send('request.arrived', 'b');
    expect(t.drain()).toEqual([{ type: 'model.loading', modelId: 'a' }, { type: 'pool.start', modelId: 'a' }]);
    t.fail('a');
    expect(t.drain()).toEqual([
      { type: 'model.rejected', modelId: 'a', count: 1, error: 'spawn ENOENT' },
      { type: 'model.loading', modelId: 'b' },
      { type: 'pool.start', modelId: 'b' },
    ]);
    expect(t.model('b')).toMatchObject({ phase: 'starting', waiting: 1 });
  });

  it('a model wanted again while it still waits keeps its place ahead of a rival wanted after it', async () => {
    const t = await table([spec('a', { exclusive: 'gpu' }), spec('b', { exclusive: 'gpu' }), spec('c', { exclusive: 'gpu', start: 'boot' })]);
    t.send('pool.started', 'c');
    t.send('request.arrived', 'a');
    t.send('request.arrived', 'b');
    t.send('request.arrived', 'a');
    expect(t.model('a').waiting).toBe(2);
    t.drain();
    t.send('pool.stopped', 'c');
    expect(t.drain()).toEqual([{ type: 'model.unloaded', modelId: 'c' }, { type: 'model.loading', modelId: 'a' }, { type: 'pool.start', modelId: 'a' }]);
  });

  it('a draining model keeps its pool while any request is in flight, and the last end stops it', async () => {
    const t = await table([spec('a', { start: 'boot' })]);
    t.send('pool.started', 'a');
    t.send('request.arrived', 'a');
    t.send('request.arrived', 'a');
    t.send('model.unload', 'a');
    t.drain();
    t.send('request.ended', 'a');
    expect(t.drain()).toEqual([]);
    expect(t.model('a')).toMatchObject({ phase: 'draining', inFlight: 1 });
    t.send('request.ended', 'a');
    expect(t.drain()).toEqual([{ type: 'pool.stop', modelId: 'a' }]);
    expect(t.model('a')).toMatchObject({ phase: 'stopping', inFlight: 0 });
  });

  it('the end of a request on a serving model stops nothing', async () => {
    const t = await table([spec('a', { start: 'boot' })]);
    t.send('pool.started', 'a');
    t.send('request.arrived', 'a');
    t.drain();
    t.send('request.ended', 'a');
    expect(t.drain()).toEqual([]);
    expect(t.model('a')).toMatchObject({ phase: 'serving', inFlight: 0 });
  });

  it('a start reported for a model that is not starting neither serves it nor renews its TTL', async () => {
    const t = await table([spec('a'), spec('b', { ttlMs: 1000, start: 'boot' })]);
    t.send('request.arrived', 'a');
    t.fail('a');
    t.send('pool.started', 'a');
    expect(t.model('a')).toMatchObject({ phase: 'unloaded', waiting: 0, inFlight: 0 });
    t.send('pool.started', 'b');
    t.clock.increment(600);
    t.send('pool.started', 'b');
    expect(t.model('b')).toMatchObject({ phase: 'serving', lastUsedAt: 5000 });
    expect(t.actor.getSnapshot().status).toBe('active');
  });

  // A report the table ignores still re-enters `checking`: the TTL check it schedules again must count from
  // the report's own time, or the unload comes late (a 1 000 ms TTL meant to end at 6 000 ended at 6 600).
  const ignored: [string, (t: Awaited<ReturnType<typeof table>>) => void][] = [
    ['a duplicate start', (t) => t.send('pool.started', 'a')],
    ['a stop of a model that is not stopping', (t) => t.send('pool.stopped', 'a')],
    ['a failed start of a model that is not starting', (t) => t.fail('a')],
    ['an unload of a model that is not serving', (t) => t.send('model.unload', 'b')],
    ['an arrival naming no model', (t) => t.send('request.arrived', 'nope')],
    ['a withdrawal of a request that no longer waits', (t) => t.send('request.withdrawn', 'b')],
    ['an end of a request on another model', (t) => t.send('request.ended', 'b')],
  ];
  it.each(ignored)('%s (a report that changes nothing for the model whose TTL runs) leaves the TTL due when it was', async (_name, report) => {
    const t = await table([spec('a', { ttlMs: 1000, start: 'boot' }), spec('b')]);
    t.send('pool.started', 'a');
    t.drain();
    t.clock.increment(600);
    report(t);
    expect(t.model('a')).toMatchObject({ phase: 'serving', lastUsedAt: 5000 });
    expect(t.now()).toBe(5600);
    t.clock.increment(399);
    expect(t.drain()).toEqual([]);
    t.clock.increment(1);
    expect(t.drain()).toEqual([{ type: 'model.unloading', modelId: 'a', reason: 'ttl' }, { type: 'pool.stop', modelId: 'a' }]);
  });

  it('events naming no model leave the table running and answering', async () => {
    const t = await table([spec('a')]);
    for (const type of ['request.arrived', 'request.withdrawn', 'request.ended', 'pool.started', 'pool.stopped', 'model.unload'] as const) t.send(type, 'nope');
    t.fail('nope');
    expect(t.actor.getSnapshot().status).toBe('active');
    expect(t.drain()).toEqual([]);
    t.send('request.arrived', 'a');
    expect(t.drain()).toEqual([{ type: 'model.loading', modelId: 'a' }, { type: 'pool.start', modelId: 'a' }]);
  });

  it('a start reported late counts the TTL from its report, so a TTL already spent unloads on the next tick', async () => {
    const t = await table([spec('a', { ttlMs: 1000, start: 'boot' })], 9000);
    t.send('pool.started', 'a', 8000);
    expect(t.now()).toBe(9000);
    t.drain();
    t.clock.increment(1);
    expect(t.drain()).toEqual([{ type: 'model.unloading', modelId: 'a', reason: 'ttl' }, { type: 'pool.stop', modelId: 'a' }]);
  });

  // Each case brings the model to where the report counts, all stamped at the table's reading (9000), then
  // sends the report stamped a second earlier.
  const late: [string, (t: Awaited<ReturnType<typeof table>>) => void, (t: Awaited<ReturnType<typeof table>>) => void][] = [
    ['an arrival', () => undefined, (t) => t.send('request.arrived', 'a', 8000)],
    ['a withdrawal', (t) => t.send('request.arrived', 'a'), (t) => t.send('request.withdrawn', 'a', 8000)],
    ['a start', (t) => t.send('request.arrived', 'a'), (t) => t.send('pool.started', 'a', 8000)],
    ['a failed start', (t) => t.send('request.arrived', 'a'), (t) => t.fail('a', 8000)],
    [
      'an end',
      (t) => {
        t.send('request.arrived', 'a');
        t.send('pool.started', 'a');
      },
      (t) => t.send('request.ended', 'a', 8000),
    ],
    [
      'a stop',
      (t) => {
        t.send('request.arrived', 'a');
        t.send('pool.started', 'a');
        t.send('request.ended', 'a');
        t.send('model.unload', 'a');
      },
      (t) => t.send('pool.stopped', 'a', 8000),
    ],
  ];
  it.each(late)('%s stamped before the table’s latest reading never winds its clock back', async (_name, prepare, report) => {
    const t = await table([spec('a')], 9000);
    prepare(t);
    const before = t.actor.getSnapshot().context.models;
    report(t);
    expect(t.actor.getSnapshot().context.models).not.toEqual(before);
    expect(t.now()).toBe(9000);
  });
});
