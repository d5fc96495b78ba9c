import type { Supervisor, SupervisorEvent } from '../supervisor/supervisor.js';
import type { Logger } from '../util/logger.js';

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

// One log line per lifecycle event, with the greppable markers of docs/operations.md.
export function logLifecycle(event: SupervisorEvent, logger: Logger): void {
  switch (event.type) {
    case 'transition': {
      const { context } = event.snapshot;
      const fields = { worker: event.workerId, from: event.from, to: event.to, reason: context.reason };
      const byContext = context.restartReason === 'proactive' || context.restartReason === 'hard_limit';
      // A drain with nothing in flight ends in the step that began it: the facade then sees healthy →
      // restarting, and the restart is still the proactive one, marked as such.
      if (byContext && (event.to === 'draining' || (event.to === 'restarting' && event.from !== 'draining'))) {
        logger.log('PROACTIVE', `${event.workerId} draining before a restart: context at ${context.usage.tokens}/${context.limits.tokenLimit} tokens, ${context.usage.turns}/${context.limits.turnLimit} turns`, { ...fields, reason: context.restartReason });
      }
      if (event.to === 'draining' && byContext) return;
      if (event.to === 'restarting') {
        logger.log('RESTART', `${event.workerId} restarting (${context.restartReason ?? context.reason})`, fields);
      } else if (event.to === 'recovering') {
        logger.log('RECOVERY', `${event.workerId} recovering: next start in ${context.backoffMs} ms (consecutive failures ${context.consecutiveFailures}/${context.policy.maxConsecutiveFailures || '∞'})`, fields);
      } else if (event.to === 'offline') {
        logger.log('OFFLINE', `${event.workerId} offline: ${context.offlineReason ?? 'unknown'} - POST /admin/workers/${event.workerId}/recover to bring it back`, fields);
      } else {
        logger.log('INFO', `${event.workerId} ${event.from ?? '∅'} → ${event.to}`, fields);
      }
      return;
    }
    case 'lifecycle': {
      const e = event.event;
      if (e.type === 'health.warned') logger.log('WARN', `${event.workerId} ${e.reason} exceeded (${e.count} in the window)`, { worker: event.workerId });
      if (e.type === 'exit.recorded') {
        const marker = e.exit.class === 'crash' ? 'ERROR' : 'INFO';
        const how = e.exit.error ? `could not start (${e.exit.error})` : `exited code=${e.exit.code} signal=${e.exit.signal}`;
        logger.log(marker, `${event.workerId} ${how} after ${seconds(e.exit.runDurationMs)} (${e.exit.class})`, { worker: event.workerId, crash_count: e.crashCount });
      }
      return;
    }
    case 'spawned':
      logger.log('INFO', `${event.workerId} spawned pid ${event.pid} (run ${event.run})`, { worker: event.workerId, pid: event.pid });
      return;
    case 'ready':
      logger.log('INFO', `${event.workerId} pid ${event.pid} ready (models: ${event.models.join(', ') || 'none'})`, { worker: event.workerId, pid: event.pid });
      return;
    // The pool grows and shrinks by memory (issue 28): each process it adds or stops, and why.
    case 'pool.spawned':
      logger.log('INFO', `[POOL] ${event.workerId} added (${event.reason === 'floor' ? 'to reach the floor' : 'a spare'})`, { worker: event.workerId, reason: event.reason });
      return;
    case 'retired':
      logger.log('INFO', `[POOL] ${event.workerId} stopped (${event.reason === 'idle' ? 'its conversation idled out' : event.reason === 'budget' ? 'over the memory budget' : 'a spare in excess'})`, { worker: event.workerId, reason: event.reason });
      return;
    case 'snapshot':
      return;
  }
}

export function attachLifecycleLog(supervisor: Pick<Supervisor, 'subscribe'>, logger: Logger): () => void {
  return supervisor.subscribe((event) => logLifecycle(event, logger));
}
