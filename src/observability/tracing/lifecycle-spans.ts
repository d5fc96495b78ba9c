import { ROOT_CONTEXT, SpanStatusCode, trace, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import type { WorkerExit } from '../../../machines/worker-types.js';
import type { Supervisor, SupervisorEvent, WorkerSnapshot } from '../../supervisor/supervisor.js';

// The steps of an episode, one child span per visit of a state, named after what the worker does there.
const STEP_SPANS: Record<string, string> = {
  draining: 'worker.drain',
  restarting: 'worker.stop',
  recovering: 'worker.backoff',
  starting: 'worker.attempt',
};

// Where an episode ends, and how.
const OUTCOMES: Record<string, string> = { healthy: 'healthy', offline: 'offline', stopped: 'stopped' };

interface Step {
  state: string;
  span: Span;
  startedAt: number;
  readyAt: number | null;
}

interface Episode {
  span: Span;
  step: Step | null;
  attempts: number;
  /** It went through a backoff: a `worker.recovery`, not a plain restart. */
  recovery: boolean;
  /** Milliseconds spent per state over the episode, summed into the episode's attributes. */
  timings: Record<string, number>;
}

const exitAttributes = (exit: WorkerExit): Attributes => ({
  'worker.exit.class': exit.class,
  'worker.exit.run_duration_ms': exit.runDurationMs,
  ...(exit.code !== null ? { 'worker.exit.code': exit.code } : {}),
  ...(exit.signal !== null ? { 'worker.exit.signal': exit.signal } : {}),
  ...(exit.error !== null ? { 'worker.exit.error': exit.error } : {}),
});

const TIMING_ATTRIBUTES: Record<string, string> = {
  draining: 'worker.restart.drain_ms',
  restarting: 'worker.restart.stop_ms',
  recovering: 'worker.recovery.backoff_ms',
  cold_start: 'worker.restart.cold_start_ms',
  verification: 'worker.restart.verification_ms',
};

const whyLeft = (snapshot: WorkerSnapshot) => snapshot.context.restartReason ?? snapshot.context.reason;

// One span per lifecycle episode of a worker, driven by the transitions the supervisor publishes (the
// statechart's own timing, no timers here): a worker leaving service opens `worker.restart`; entering
// `recovering` makes it a `worker.recovery`; back to healthy, offline or stopped ends it. Each state visited on the way is a child span, in order: drain, stop, backoff, and
// one `worker.attempt` per start (spawned and ready as events, then verification).
// Every start and end is read from one clock (`now`, ms since the epoch), so a step never seems to
// outlast its episode.
export function attachLifecycleSpans(supervisor: Pick<Supervisor, 'subscribe'>, tracer: Tracer, now: () => number = () => performance.timeOrigin + performance.now()): () => void {
  const episodes = new Map<string, Episode>();
  // An exit is announced just before the transition it causes, a spawn just before the transition
  // into `starting`: each is held until the span it belongs to opens.
  const pendingExits = new Map<string, WorkerExit>();
  const pendingSpawns = new Map<string, { pid: number; run: number; at: number }>();
  // The pool says why it recycles a process (idle, lru) just before the worker starts draining.
  const pendingRecycles = new Map<string, string>();

  const endStep = (episode: Episode, snapshot: WorkerSnapshot, to: string) => {
    const step = episode.step;
    if (!step) return;
    episode.step = null;
    const at = now();
    const add = (key: string, ms: number) => (episode.timings[key] = (episode.timings[key] ?? 0) + ms);
    if (step.state === 'starting') {
      if (step.readyAt !== null) add('cold_start', step.readyAt - step.startedAt);
      if (to === 'healthy' && step.readyAt !== null) add('verification', at - step.readyAt);
      step.span.setAttribute('worker.attempt.outcome', to === 'healthy' ? 'healthy' : whyLeft(snapshot));
      if (to !== 'healthy') step.span.setStatus({ code: SpanStatusCode.ERROR, message: `start failed: ${whyLeft(snapshot)}` });
    } else {
      add(step.state, at - step.startedAt);
    }
    step.span.end(at);
  };

  const open = (workerId: string, snapshot: WorkerSnapshot, from: string | null): Episode => {
    const attributes = { 'worker.name': workerId, 'worker.restart.reason': whyLeft(snapshot), 'worker.run': snapshot.context.run, 'worker.from_state': from ?? 'none' };
    const span = tracer.startSpan('worker.restart', { attributes, startTime: now() }, ROOT_CONTEXT);
    const episode: Episode = { span, step: null, attempts: 0, recovery: false, timings: {} };
    const recycle = pendingRecycles.get(workerId);
    if (recycle) span.setAttribute('worker.recycle.reason', recycle);
    pendingRecycles.delete(workerId);
    const exit = pendingExits.get(workerId);
    if (exit) span.addEvent('worker.exited', exitAttributes(exit), exit.at);
    pendingExits.delete(workerId);
    episodes.set(workerId, episode);
    return episode;
  };

  const close = (workerId: string, episode: Episode, snapshot: WorkerSnapshot, outcome: string) => {
    const { context } = snapshot;
    episode.span.setAttributes({
      'worker.outcome': outcome,
      'worker.attempts': episode.attempts,
      'worker.crash_count': context.crashCount,
      'worker.consecutive_failures': context.consecutiveFailures,
      ...Object.fromEntries(Object.entries(episode.timings).map(([key, ms]) => [TIMING_ATTRIBUTES[key]!, ms])),
    });
    if (outcome === 'offline') episode.span.setStatus({ code: SpanStatusCode.ERROR, message: `offline: ${context.offlineReason ?? 'unknown'}` });
    episode.span.end(now());
    episodes.delete(workerId);
  };

  const onTransition = (event: Extract<SupervisorEvent, { type: 'transition' }>) => {
    const { workerId, from, to, snapshot } = event;
    let episode = episodes.get(workerId);
    // The first start is not an episode; leaving service, or a recover from offline, opens one.
    if (!episode && (to === 'draining' || to === 'restarting' || (from === 'offline' && to === 'starting'))) episode = open(workerId, snapshot, from);
    pendingExits.delete(workerId);
    pendingRecycles.delete(workerId);
    if (!episode) return;
    endStep(episode, snapshot, to);
    if (to === 'recovering' && !episode.recovery) {
      episode.recovery = true;
      episode.span.updateName('worker.recovery');
      episode.span.setAttribute('recovery.type', whyLeft(snapshot));
    }
    const outcome = OUTCOMES[to];
    if (outcome) return close(workerId, episode, snapshot, outcome);
    const name = STEP_SPANS[to];
    if (!name) return;
    const attributes: Attributes = { 'worker.name': workerId };
    if (to === 'starting') {
      episode.attempts += 1;
      Object.assign(attributes, { 'worker.attempt': episode.attempts, 'worker.run': snapshot.context.run });
    } else if (to === 'recovering') {
      Object.assign(attributes, { 'worker.backoff_ms': snapshot.context.backoffMs, 'worker.consecutive_failures': snapshot.context.consecutiveFailures });
    } else {
      attributes['worker.restart.reason'] = whyLeft(snapshot);
    }
    const startedAt = now();
    const span = tracer.startSpan(name, { attributes, startTime: startedAt }, trace.setSpan(ROOT_CONTEXT, episode.span));
    episode.step = { state: to, span, startedAt, readyAt: null };
    const spawn = pendingSpawns.get(workerId);
    pendingSpawns.delete(workerId);
    if (to === 'starting' && spawn?.run === snapshot.context.run) span.addEvent('spawned', { 'process.pid': spawn.pid, 'worker.run': spawn.run }, spawn.at);
  };

  return supervisor.subscribe((event) => {
    switch (event.type) {
      case 'transition':
        return onTransition(event);
      case 'lifecycle': {
        if (event.event.type !== 'exit.recorded') return;
        const episode = episodes.get(event.workerId);
        const exit = event.event.exit;
        if (!episode) return void pendingExits.set(event.workerId, exit);
        (episode.step?.span ?? episode.span).addEvent('worker.exited', exitAttributes(exit), exit.at);
        return;
      }
      case 'recycled': {
        const episode = episodes.get(event.workerId);
        if (episode) episode.span.setAttribute('worker.recycle.reason', event.reason);
        else pendingRecycles.set(event.workerId, event.reason);
        return;
      }
      case 'spawned': {
        const step = episodes.get(event.workerId)?.step;
        if (step?.state === 'starting') step.span.addEvent('spawned', { 'process.pid': event.pid, 'worker.run': event.run }, now());
        else pendingSpawns.set(event.workerId, { pid: event.pid, run: event.run, at: now() });
        return;
      }
      case 'ready': {
        const step = episodes.get(event.workerId)?.step;
        if (step?.state !== 'starting') return;
        step.readyAt = now();
        step.span.addEvent('ready', { 'worker.run': event.run }, step.readyAt);
        return;
      }
      default:
        return;
    }
  });
}
