import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import { createTestModel } from 'xstate/graph';
import { modelsMachine } from '../../machines/models-machine.js';
import { modelsModel, type ModelId, type ModelsModelContext } from './models-model.js';

const TTL_MS = 1000;
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

// The real models machine with a simulated clock. The harness plays the runtime: it starts and stops
// pools when the machine says so (one step later, when the model says STARTED / STOPPED), sends the
// requests and their ends, and counts the admissions the machine emits.
function createModelsHarness() {
  const clock = new SimulatedClock();
  const actor = createActor(modelsMachine, {
    clock,
    input: {
      models: (['A', 'B'] as const).map((id) => ({ id, exclusive: 'gpu', ttlMs: TTL_MS, start: 'on_demand' as const })),
    },
  });
  let admitted: ModelId[] = [];
  const loaded = new Set<ModelId>();
  let both = false;
  actor.on('model.admitted', (event) => {
    // At most one request per model is outstanding in the model.
    expect(event.count).toBe(1);
    admitted.push(event.modelId as ModelId);
  });
  actor.on('pool.start', (event) => {
    loaded.add(event.modelId as ModelId);
    if (loaded.size > 1) both = true;
  });
  actor.on('pool.stop', () => {});
  actor.start();
  const entry = (id: ModelId) => actor.getSnapshot().context.models.find((m) => m.id === id)!;
  const step = async (work: () => void) => {
    clock.increment(1);
    admitted = [];
    work();
    await settle();
  };
  return {
    actor,
    admitted: () => admitted,
    entry,
    bothLoaded: () => both,
    request: (id: ModelId) => step(() => actor.send({ type: 'request.arrived', modelId: id, at: clock.now() })),
    end: (id: ModelId) => step(() => actor.send({ type: 'request.ended', modelId: id, at: clock.now() })),
    started: () =>
      step(() => {
        const id = (['A', 'B'] as const).find((m) => entry(m).phase === 'starting')!;
        actor.send({ type: 'pool.started', modelId: id, at: clock.now() });
      }),
    stopped: () =>
      step(() => {
        const id = (['A', 'B'] as const).find((m) => entry(m).phase === 'stopping')!;
        loaded.delete(id);
        actor.send({ type: 'pool.stopped', modelId: id, at: clock.now() });
      }),
    ttl: () => step(() => clock.increment(TTL_MS)),
  };
}

type Harness = ReturnType<typeof createModelsHarness>;

function expectMatches(h: Harness, model: ModelsModelContext) {
  for (const id of ['A', 'B'] as const) {
    const { phase, waiting, inFlight } = h.entry(id);
    expect({ id, phase, waiting, inFlight }).toEqual({ id, phase: model[id].phase, waiting: model[id].waiting, inFlight: model[id].inFlight });
  }
  expect([...h.admitted()].sort()).toEqual([...model.admitted].sort());
  // The exclusive pair never has processes at once.
  expect(h.bothLoaded()).toBe(false);
}

const model = createTestModel(modelsModel);

describe('models machine: model-based paths (start on demand, TTL, exclusive swaps)', () => {
  const paths = model.getSimplePaths();

  it('the abstract table yields its paths (the count follows the model, not the machine)', () => {
    expect(paths.length).toBe(60);
  });

  for (const path of paths) {
    it(path.description, async () => {
      const h = createModelsHarness();
      await model.testPath(path, {
        states: { table: (snapshot) => expectMatches(h, snapshot.context as ModelsModelContext) },
        events: {
          REQUEST_A: () => h.request('A'),
          REQUEST_B: () => h.request('B'),
          END_A: () => h.end('A'),
          END_B: () => h.end('B'),
          STARTED: () => h.started(),
          STOPPED: () => h.stopped(),
          TTL: () => h.ttl(),
        },
      });
      h.actor.stop();
    });
  }
});
