import type { ActorRefFrom } from 'xstate';
import { reportChangesLevel } from '../../machines/policy/context-usage.js';
import type { WorkerMachine } from '../../machines/worker-machine.js';
import type { WorkerEvent } from '../../machines/worker-types.js';
import type { ContextReport } from '../drivers/driver.js';
import { isOnRun } from './supervisor-types.js';

type ContextReported = Extract<WorkerEvent, { type: 'context.reported' }>;

// A worker's context reports on their way to its machine. A report that can change what the machine
// decides (other limits, or a move to another level: proactive, hard) goes at once; any other changes
// no decision, so only the latest is kept until someone reads the figures (the facade's snapshots(),
// behind /health and /metrics). A report of a run that has ended is dropped.
export class ContextReports {
  #held: { run: number; event: ContextReported } | null = null;

  constructor(private readonly actor: ActorRefFrom<WorkerMachine>) {}

  reported(report: ContextReport, run: number): void {
    const snapshot = this.actor.getSnapshot();
    if (!isOnRun(snapshot, run)) return;
    const event: ContextReported = { type: 'context.reported', tokens: report.tokens, turns: report.turns, ...(report.limits ? { limits: report.limits } : {}) };
    if (!reportChangesLevel(snapshot.context, report, snapshot.context.policy.proactiveRestartPct)) {
      this.#held = { run, event };
      return;
    }
    this.#held = null;
    this.actor.send(event);
  }

  /** The machine learns the report kept back, if any (before its figures are read). */
  flush(): void {
    const held = this.#held;
    if (!held) return;
    this.#held = null;
    if (isOnRun(this.actor.getSnapshot(), held.run)) this.actor.send(held.event);
  }
}
