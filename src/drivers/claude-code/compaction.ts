import type { SessionHooks } from '../driver.js';

type Json = Record<string, any>;

/** Proof of life while the CLI compacts: it can be silent for minutes, and that is not a wedge. */
export const COMPACTING_PULSE_MS = 1000;
/** A compaction that never reports its end stops counting as life after this long. */
export const COMPACTING_MAX_MS = 30 * 60_000;

// Claude Code's compaction (docs/protocol.md): a `system` status "compacting" starts it, a `compact_boundary`
// ends it. Meanwhile the driver reports activity for the wedge timer; the boundary's figures are
// reported as context (the post-compaction token count, when the CLI gives one).
export function createCompactionWatch(hooks: SessionHooks, pid: number | null, turns: () => number) {
  let pulse: NodeJS.Timeout | undefined;
  let since = 0;
  const stop = () => {
    clearInterval(pulse);
    pulse = undefined;
  };
  const start = (now: number) => {
    if (pulse) return;
    since = now;
    pulse = setInterval(() => {
      if (Date.now() - since > COMPACTING_MAX_MS) return stop();
      hooks.activity();
    }, COMPACTING_PULSE_MS);
    pulse.unref();
  };

  return {
    /** Returns true when the message was about compaction. */
    onSystem(message: Json): boolean {
      if (message.subtype === 'status') {
        if (message.status === 'compacting') start(Date.now());
        else stop();
        return true;
      }
      if (message.subtype !== 'compact_boundary') return false;
      stop();
      const meta = (message.compact_metadata ?? {}) as Json;
      const pre = Number(meta.pre_tokens ?? 0);
      const post = typeof meta.post_tokens === 'number' ? meta.post_tokens : null;
      hooks.logger.log('INFO', `${hooks.workerId} Claude Code compacted its context (${meta.trigger ?? 'auto'}): ${pre} → ${post ?? '?'} tokens`, { worker: hooks.workerId, pid });
      if (post !== null) hooks.context({ tokens: post, turns: turns() });
      return true;
    },
    close: stop,
  };
}
