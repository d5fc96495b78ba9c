import type { Logger } from '../util/logger.js';
import { groupAlive } from '../process/orphan-groups.js';
import { listProcesses, startTimeOf } from '../process/process-table.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import type { Lock, RecordedGroup } from './lock-file.js';

// Keeps the lock file's list of the process groups this lifeguard started (each worker is the leader
// of its own group), so that a lifeguard killed with SIGKILL leaves a record the next one acts on.
// Groups of which nothing is left are dropped at each new spawn.
export function recordWorkerGroups(supervisor: Pick<Supervisor, 'subscribe'>, lock: Lock, logger: Logger): () => void {
  let groups: RecordedGroup[] = [];
  return supervisor.subscribe((event) => {
    if (event.type !== 'spawned') return;
    const startTime = startTimeOf(event.pid);
    try {
      const table = listProcesses();
      groups = groups.filter((g) => groupAlive({ pgid: g.pgid, startTime: g.start_time }, table));
    } catch {
      // No /proc scan possible just now (out of descriptors): keep every group, prune next time.
    }
    if (startTime === null) return;
    groups.push({ pgid: event.pid, start_time: startTime });
    lock.record(groups);
    if (groups.length > 64) logger.log('WARN', `${groups.length} worker process groups are still alive`);
  });
}
