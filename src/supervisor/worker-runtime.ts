import type { ProbeActorInput, ProcessActorInput, StopperActorInput, WorkerEvent } from '../../machines/worker-types.js';
import type { ContextReport, Driver, ReadyInfo, WorkerSession } from '../drivers/driver.js';
import type { Logger } from '../util/logger.js';
import { toWorkerExit } from '../process/exit-payload.js';
import { sampleTreeMemory } from '../process/process-table.js';
import { stopProcessTree } from '../process/stop-process-tree.js';
import { spawnWorkerProcess, type SpawnSpec, type WorkerProcess } from '../process/worker-process.js';

export interface WorkerRuntimeOptions {
  workerId: string;
  driver: Driver;
  logger: Logger;
  stopGraceMs: number;
  memoryPollMs: number;
  /** At most one `worker.output` per this many ms reaches the machine. */
  activityThrottleMs: number;
  /** Told when a process is spawned and when it says ready (for the audit trail and the logs). */
  onSpawned?: (pid: number, run: number) => void;
  onReady?: (info: ReadyInfo, pid: number | null, run: number) => void;
  /** Told the worker's context reports (the supervisor decides when its machine learns them). */
  onContext(report: ContextReport, run: number): void;
  /** Told how many client tool calls the run's process waits on (0: none any more). */
  onParked?(count: number, run: number): void;
}

interface LiveRun {
  run: number;
  process: WorkerProcess;
  session: WorkerSession;
}

export class WorkerNotRunningError extends Error {
  readonly kind = 'worker_not_running' as const;
}

// The IO behind one worker's statechart: the actors the machine names, provided for real.
export function createWorkerRuntime(options: WorkerRuntimeOptions) {
  const { workerId, driver, logger } = options;
  // The latest run, kept after its process exited: the stopper still ends what it left in its group.
  let latest: LiveRun | null = null;
  const live = (): LiveRun | null => (latest && !latest.process.hasExited() ? latest : null);
  const stopping = new Set<Promise<void>>();

  const track = (work: Promise<void>) => {
    const tracked = work
      .catch((error: unknown) => logger.log('ERROR', `could not stop a worker process: ${String(error)}`, { worker: workerId }))
      .finally(() => stopping.delete(tracked));
    stopping.add(tracked);
  };

  const workerProcess = ({ input, sendBack }: { input: ProcessActorInput; sendBack: (event: WorkerEvent) => void }) => {
    let disposed = false;
    let dispose: (() => void) | null = null;
    const send = (event: WorkerEvent) => {
      if (!disposed) sendBack(event);
    };

    const launch = (spec: SpawnSpec) => {
      const process = spawnWorkerProcess(spec);
      let lastActivity = 0;
      // A process waiting on the client's tool results is silent, and rightly: it counts as active.
      let parkedBeat: NodeJS.Timeout | null = null;
      const stopBeat = () => {
        if (parkedBeat) clearInterval(parkedBeat);
        parkedBeat = null;
      };
      const session = driver.attach(
        process,
        {
        workerId,
        logger,
        ready: (info) => {
          if (disposed) return;
          options.onReady?.(info, process.pid, input.run);
          send({ ...info, type: 'worker.ready' });
        },
        activity: () => {
          const now = Date.now();
          if (now - lastActivity < options.activityThrottleMs) return;
          lastActivity = now;
          send({ type: 'worker.output' });
        },
        context: (report) => {
          if (!disposed) options.onContext(report, input.run);
        },
        parked: (count) => {
          stopBeat();
          if (!disposed) options.onParked?.(count, input.run);
          if (count > 0 && !disposed) {
            parkedBeat = setInterval(() => send({ type: 'worker.output' }), Math.max(1, options.activityThrottleMs));
            parkedBeat.unref();
          }
        },
        recycle: (reason) => {
          logger.log('INFO', `the process asks to be recycled (${reason})`, { worker: workerId, pid: process.pid });
          send({ type: 'recycle' });
        },
        },
        spec,
      );
      latest = { run: input.run, process, session };
      let memoryTimer: NodeJS.Timeout | undefined;
      if (process.pid !== null) {
        const pid = process.pid;
        options.onSpawned?.(pid, input.run);
        send({ type: 'worker.spawned', pid, at: Date.now() });
        memoryTimer = setInterval(() => {
          const bytes = sampleTreeMemory(pid, logger);
          if (bytes !== null && !process.hasExited()) send({ type: 'memory.sampled', rssBytes: bytes, at: Date.now() });
        }, options.memoryPollMs);
        memoryTimer.unref();
      }
      void process.exited.then((facts) => {
        clearInterval(memoryTimer);
        stopBeat();
        const detail = facts.spawnError
          ? `could not be started (${facts.spawnError})`
          : `exited (code ${facts.code}, signal ${facts.signal})`;
        session.close(detail);
        send({ type: 'worker.exited', ...toWorkerExit(facts, process.isRequested(), Date.now()) });
      });
      dispose = () => {
        clearInterval(memoryTimer);
        stopBeat();
        if (process.pid !== null) track(stopProcessTree(process, options.stopGraceMs));
      };
    };

    const failToSpawn = (error: unknown) => {
      logger.log('ERROR', `cannot prepare the worker command: ${String(error)}`, { worker: workerId });
      const facts = { code: null, signal: null, spawnError: 'ESPAWNSPEC', runDurationMs: 0 };
      send({ type: 'worker.exited', ...toWorkerExit(facts, false, Date.now()) });
    };
    try {
      const spec = driver.spawnSpec();
      if (spec instanceof Promise) spec.then((ready) => !disposed && launch(ready), failToSpawn);
      else launch(spec);
    } catch (error) {
      failToSpawn(error);
    }
    return () => {
      disposed = true;
      dispose?.();
    };
  };

  const verificationProbe = async ({ input }: { input: ProbeActorInput }): Promise<void> => {
    const running = live();
    if (!running || running.run !== input.run) throw new WorkerNotRunningError(`worker ${workerId} has no live process to probe`);
    await running.session.probe(input.timeoutMs);
  };

  const processStopper = async ({ input }: { input: StopperActorInput }): Promise<void> => {
    const run = latest;
    if (!run || run.run !== input.run) return;
    run.process.markRequested();
    run.session.shutdown();
    const work = stopProcessTree(run.process, input.graceMs);
    track(work);
    await work;
  };

  return {
    /** What the machine's actors do for this worker (worker-actors.ts makes them actors). */
    logic: { workerProcess, verificationProbe, processStopper },
    /** The session of the given run, when that run's process is still alive. */
    session(run: number): WorkerSession | null {
      const running = live();
      return running && running.run === run ? running.session : null;
    },
    currentPid(): number | null {
      return live()?.process.pid ?? null;
    },
    /** Resolves when every process this runtime started is gone. */
    async settled(): Promise<void> {
      while (stopping.size > 0) await Promise.all([...stopping]);
    },
  };
}

export type WorkerRuntime = ReturnType<typeof createWorkerRuntime>;
