import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';

// This run's marker value (test/support/drivers.ts reads it): a suite running at the same time in
// another checkout never counts, or kills, this run's processes.
const RUN = (process.env.LIFEGUARD_TEST_RUN ??= randomUUID());

// Every process a test starts carries LIFEGUARD_TEST_PROCESS=<this run> in its environment.
function leftoverTestProcesses(): Array<{ pid: number; cmdline: string }> {
  const found: Array<{ pid: number; cmdline: string }> = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      const environ = readFileSync(`/proc/${name}/environ`, 'utf8');
      if (environ.split('\0').includes(`LIFEGUARD_TEST_PROCESS=${RUN}`)) {
        found.push({ pid: Number(name), cmdline: readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ') });
      }
    } catch {
      // Gone, or not ours to read.
    }
  }
  return found;
}

export default function setup() {
  const before = new Set(leftoverTestProcesses().map((p) => p.pid));
  return () => {
    const left = leftoverTestProcesses().filter((p) => !before.has(p.pid));
    for (const p of left) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    if (left.length > 0) {
      throw new Error(`the test suite left ${left.length} worker process(es) running: ${left.map((p) => `${p.pid} ${p.cmdline}`).join('; ')}`);
    }
  };
}
