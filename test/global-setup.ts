import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// This checkout: other checkouts of lifeguard on the same machine run their own suites, whose
// processes are not ours to report or kill.
const root = fileURLToPath(new URL('..', import.meta.url));

// Every process a test starts carries LIFEGUARD_TEST_PROCESS=1 in its environment (test/support/drivers.ts).
function leftoverTestProcesses(): Array<{ pid: number; cmdline: string }> {
  const found: Array<{ pid: number; cmdline: string }> = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      const environ = readFileSync(`/proc/${name}/environ`, 'utf8');
      if (environ.split('\0').includes('LIFEGUARD_TEST_PROCESS=1')) {
        const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ');
        if (cmdline.includes(root) || `${readlinkSync(`/proc/${name}/cwd`)}/`.startsWith(root)) found.push({ pid: Number(name), cmdline });
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
