import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import type { WorkerContext } from '../../../machines/worker-types.js';
import { attachLifecycleSpans } from '../../../src/observability/tracing/lifecycle-spans.js';
import type { SupervisorEvent, WorkerSnapshot } from '../../../src/supervisor/supervisor.js';

// The supervisor's events, fed by hand with a hand-driven clock: the spans follow the transitions.
function harness() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  let listener: (event: SupervisorEvent) => void = () => {};
  let clock = Date.now();
  attachLifecycleSpans({ subscribe: (l) => ((listener = l), () => {}) }, provider.getTracer('test'), () => clock);
  let state: string | null = null;
  const context: Partial<WorkerContext> = { run: 1, reason: 'verified', restartReason: null, backoffMs: 0, consecutiveFailures: 0, crashCount: 0, offlineReason: null };
  return {
    spans: () => exporter.getFinishedSpans(),
    advance: (ms: number) => void (clock += ms),
    to(next: string, change: Partial<WorkerContext> = {}) {
      Object.assign(context, change);
      const snapshot = { context: { ...context } } as unknown as WorkerSnapshot;
      listener({ type: 'transition', workerId: 'w1', from: state, to: next, snapshot });
      state = next;
    },
    send: (event: SupervisorEvent) => listener(event),
  };
}

const childrenOf = (spans: ReadableSpan[], parent: ReadableSpan) =>
  spans.filter((s) => s.parentSpanContext?.spanId === parent.spanContext().spanId).sort((a, b) => (a.startTime[0] - b.startTime[0]) * 1e9 + (a.startTime[1] - b.startTime[1]));

describe('lifecycle spans', () => {
  it('the first start is no episode; a proactive restart is one worker.restart with drain, stop and attempt timed', () => {
    const h = harness();
    h.to('starting');
    h.send({ type: 'spawned', workerId: 'w1', pid: 10, run: 1 });
    h.to('healthy');
    expect(h.spans()).toEqual([]);

    h.to('draining', { restartReason: 'proactive' });
    h.advance(300);
    h.to('restarting', { reason: 'drained' });
    h.advance(40);
    h.send({ type: 'spawned', workerId: 'w1', pid: 11, run: 2 });
    h.to('starting', { run: 2, reason: 'start' });
    h.advance(500);
    h.send({ type: 'ready', workerId: 'w1', pid: 11, run: 2, models: ['m'] });
    h.advance(20);
    h.to('healthy', { reason: 'verified' });

    const spans = h.spans();
    const restart = spans.find((s) => s.name === 'worker.restart')!;
    expect(restart.attributes).toMatchObject({
      'worker.name': 'w1',
      'worker.restart.reason': 'proactive',
      'worker.outcome': 'healthy',
      'worker.restart.drain_ms': 300,
      'worker.restart.stop_ms': 40,
      'worker.restart.cold_start_ms': 500,
      'worker.restart.verification_ms': 20,
      'worker.attempts': 1,
    });
    expect(restart.attributes['recovery.type']).toBeUndefined();
    const children = childrenOf(spans, restart);
    expect(children.map((s) => s.name)).toEqual(['worker.drain', 'worker.stop', 'worker.attempt']);
    expect(children[2]!.events.map((e) => e.name)).toEqual(['spawned', 'ready']);
  });

  it('a recovery that runs out of attempts ends offline, as an error, each failed attempt marked', () => {
    const h = harness();
    h.to('starting');
    h.to('healthy');
    const exit = { code: 1, signal: null, class: 'crash' as const, runDurationMs: 5000, at: Date.now(), error: null };
    h.send({ type: 'lifecycle', workerId: 'w1', event: { type: 'exit.recorded', exit, crashCount: 1, consecutiveFailures: 1 } });
    h.to('restarting', { restartReason: 'crash', consecutiveFailures: 1 });
    h.to('recovering', { backoffMs: 100 });
    h.to('starting', { run: 2, reason: 'backoff_elapsed' });
    h.to('restarting', { restartReason: 'startup_timeout', consecutiveFailures: 2 });
    h.to('offline', { offlineReason: 'startup_timeout after 2 failures' });

    const spans = h.spans();
    const recovery = spans.find((s) => s.name === 'worker.recovery')!;
    expect(recovery.attributes).toMatchObject({ 'recovery.type': 'crash', 'worker.outcome': 'offline', 'worker.attempts': 1, 'worker.consecutive_failures': 2 });
    expect(recovery.status).toEqual({ code: 2, message: 'offline: startup_timeout after 2 failures' });
    expect(recovery.events.map((e) => [e.name, e.attributes?.['worker.exit.code']])).toEqual([['worker.exited', 1]]);
    const children = childrenOf(spans, recovery);
    expect(children.map((s) => s.name)).toEqual(['worker.stop', 'worker.backoff', 'worker.attempt', 'worker.stop']);
    expect(children[1]!.attributes).toMatchObject({ 'worker.backoff_ms': 100, 'worker.consecutive_failures': 1 });
    expect(children[2]!.status.code).toBe(2);
    expect(children[2]!.attributes['worker.attempt.outcome']).toBe('startup_timeout');
  });

  it('a recover from offline is an episode of its own', () => {
    const h = harness();
    h.to('offline', { offlineReason: 'crashes' });
    h.to('starting', { reason: 'recover', restartReason: null, run: 7 });
    h.to('healthy');
    const span = h.spans().find((s) => s.parentSpanContext === undefined)!;
    expect(span.name).toBe('worker.restart');
    expect(span.attributes).toMatchObject({ 'worker.restart.reason': 'recover', 'worker.from_state': 'offline', 'worker.outcome': 'healthy' });
  });

  it('a recycle by the pool is a worker.restart that says why the pool recycled', () => {
    const h = harness();
    h.to('starting');
    h.to('healthy');
    h.send({ type: 'recycled', workerId: 'w1', reason: 'idle' });
    h.to('draining', { restartReason: 'recycle' });
    h.to('restarting', { reason: 'drained' });
    h.to('starting', { run: 2 });
    h.to('healthy');
    const span = h.spans().find((s) => s.name === 'worker.restart')!;
    expect(span.attributes).toMatchObject({ 'worker.restart.reason': 'recycle', 'worker.recycle.reason': 'idle', 'worker.outcome': 'healthy' });
  });
});
