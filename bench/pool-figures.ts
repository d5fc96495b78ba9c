// bench/pool-figures: the pool's figures of issue 13 —
//   (1) cold start per driver: spawn → verified `healthy` of one worker process, over `runs` admin restarts;
//   (2) handover of a restart by the turn limit: from the serving process leaving `healthy` (→ draining) to
//       the first answer from another process, with failures, queue waits and latencies around it, for
//       --workers 1 --standby 1 against --workers 1 --standby 0, one client and several at once.
// Run: npx tsx bench/pool-figures.ts [runs=5]
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLifeguard, type RunningLifeguard } from '../src/cli/start-lifeguard.js';
import { loadConfig } from '../src/config/load-config.js';
import { referenceWorkerPath } from '../src/reference-worker.js';
import type { SupervisorEvent } from '../src/supervisor/supervisor.js';
import { silentLogger, type Logger } from '../src/util/logger.js';
import { startFakeAnthropic } from '../test/fixtures/fake-anthropic-api.js';
import { CLAUDE_CLI, claudeEnv } from '../test/support/claude-code.js';
import { fixture } from '../test/support/drivers.js';
import { quantiles } from './stats.js';

const runs = Number(process.argv[2] ?? 5);
if (!Number.isInteger(runs) || runs < 1 || runs > 50) throw new Error(`runs must be an integer from 1 to 50, got ${process.argv[2]}`);

/** Bound of every wait on lifeguard, and of each handover setup's load. */
const WAIT_MS = 60_000;
/** Each answer takes this long ([[wait:MS]]), so a drain has a request in flight to wait for. */
const ANSWER_MS = 50;
const CLIENTS = 4;

type Routed = Extract<SupervisorEvent, { type: 'routed' }>;
const node = process.execPath;
const root = fileURLToPath(new URL('..', import.meta.url));
const shown = (argv: string[]) => argv.map((arg) => (arg === node ? 'node' : arg.startsWith(root) ? relative(root, arg) : arg)).join(' ');

async function start(flags: string[], command: string[], logger: Logger = silentLogger): Promise<RunningLifeguard> {
  const dir = mkdtempSync(join(tmpdir(), 'lifeguard-bench-pool-'));
  return startLifeguard(loadConfig(['--port', '0', '--lock-file', join(dir, 'lock'), ...flags, '--', ...command], {}), logger);
}

// Resolves once `condition` holds, checked now and after each supervisor event — never by polling.
function until(lifeguard: RunningLifeguard, condition: () => boolean, what: string): Promise<void> {
  if (condition()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`timed out after ${WAIT_MS} ms waiting for ${what}`));
    }, WAIT_MS);
    const unsubscribe = lifeguard.supervisor.subscribe(() => {
      if (!condition()) return;
      clearTimeout(timer);
      unsubscribe();
      resolve();
    });
  });
}

const allAccepting = (lifeguard: RunningLifeguard) => lifeguard.supervisor.snapshots().every((w) => w.snapshot.hasTag('accepting'));

// ---- (1) cold start: spawned → healthy, the interval lifeguard_cold_start_seconds observes ----

async function coldStarts(flags: string[], command: string[]): Promise<number[]> {
  const lifeguard = await start(flags, command);
  const samples: number[] = [];
  let spawnedAt: number | null = null;
  lifeguard.supervisor.subscribe((event) => {
    if (event.type === 'spawned') spawnedAt = performance.now();
    if (event.type === 'transition' && event.to === 'healthy' && spawnedAt !== null) {
      samples.push(performance.now() - spawnedAt);
      spawnedAt = null;
    }
  });
  try {
    await until(lifeguard, () => allAccepting(lifeguard), 'the first process');
    // The first start may have spawned before the subscription: only restarts count.
    samples.length = 0;
    for (let i = 1; i <= runs; i++) {
      lifeguard.supervisor.command('w1', 'restart');
      await until(lifeguard, () => samples.length === i, `restart ${i} to be healthy`);
    }
    return samples;
  } finally {
    await lifeguard.shutdown();
  }
}

// ---- (2) handover of a proactive restart ----

interface Answer { began: number; ended: number; ok: boolean; worker: string | undefined }
interface Drain { workerId: string; reason: string; peerAccepting: boolean; at: number; backAt: number | null; handoverMs: number | null }

async function ask(url: string, id: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': id },
      body: JSON.stringify({ messages: [{ role: 'user', content: `[[wait:${ANSWER_MS}]] question ${id}` }] }),
    });
    const body = (await response.json()) as { choices?: Array<{ message: { content: string } }> };
    return response.status === 200 && body.choices?.[0]?.message.content === `Echo: question ${id}`;
  } catch {
    return false;
  }
}

// Another process answered: a different worker, or the drained one's next run (its old run's answers
// all end before it stops, hence before its next `healthy`).
const answeredElsewhere = (drain: Drain, answer: Answer) =>
  answer.ok && answer.ended > drain.at && (answer.worker !== drain.workerId || (drain.backAt !== null && answer.ended > drain.backAt));

// Restarts by turns only: proactive at 80 % of `turnLimit`, so `runs` restarts take about 0.8 × turnLimit × runs requests.
async function handover(standby: number, clients: number, turnLimit: number) {
  const flags = ['--workers', '1', '--standby', String(standby), '--turn-limit', String(turnLimit), '--proactive-restart-pct', '80', '--token-limit', '0'];
  const answeredBy = new Map<string, string>();
  // lifeguard's end-of-request log line names the worker that answered: keep it by request id.
  const logger: Logger = {
    log: (_marker, _message, fields) => {
      if (typeof fields?.request_id === 'string' && typeof fields.worker === 'string') answeredBy.set(fields.request_id, fields.worker);
    },
  };
  const lifeguard = await start(flags, referenceCommand, logger);
  const drains: Drain[] = [];
  const routed: Array<Routed & { arrived: number }> = [];
  const answers: Answer[] = [];
  lifeguard.supervisor.subscribe((event) => {
    if (event.type === 'routed') routed.push({ ...event, arrived: performance.now() - event.waitedMs });
    if (event.type !== 'transition') return;
    if (event.to === 'draining') {
      // Read from the other workers' own snapshots, not from the draining one's count of its peers.
      const peerAccepting = lifeguard.supervisor.snapshots().some((w) => w.id !== event.workerId && w.snapshot.hasTag('accepting'));
      drains.push({ workerId: event.workerId, reason: event.snapshot.context.restartReason ?? '?', peerAccepting, at: performance.now(), backAt: null, handoverMs: null });
    }
    if (event.to === 'healthy') for (const d of drains) if (d.workerId === event.workerId && d.backAt === null) d.backAt = performance.now();
  });
  try {
    await until(lifeguard, () => allAccepting(lifeguard), 'the pool to accept');
    const deadline = performance.now() + WAIT_MS;
    const enough = () => drains.filter((d) => d.handoverMs !== null).length >= runs || answers.length >= 2 * turnLimit * runs || performance.now() > deadline;
    let sent = 0;
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (!enough()) {
          const id = `bench-${++sent}`;
          const began = performance.now();
          const ok = await ask(lifeguard.url, id);
          const answer = { began, ended: performance.now(), ok, worker: answeredBy.get(id) };
          answers.push(answer);
          for (const d of drains) if (d.handoverMs === null && answeredElsewhere(d, answer)) d.handoverMs = answer.ended - d.at;
        }
      }),
    );
  } finally {
    await lifeguard.shutdown();
  }
  // Around a handover: in flight at some moment between the drain and the first answer from elsewhere.
  const around = (a: Answer) => drains.some((d) => d.handoverMs !== null && a.began <= d.at + d.handoverMs && a.ended >= d.at);
  const latency = (list: Answer[]) => quantiles(list.filter((a) => a.ok).map((a) => a.ended - a.began));
  const queued = routed.filter((r) => r.queued);
  // The restart a queued request met: it arrived between that drain and its handover.
  const metRestart = (r: (typeof routed)[number]) => drains.find((d) => d.handoverMs !== null && r.arrived >= d.at && r.arrived <= d.at + d.handoverMs);
  return {
    flags,
    clients,
    requests: answers.length,
    failed: answers.filter((a) => !a.ok).length,
    drains,
    queued: queued.length,
    queuedAt: (reason: string) => queued.filter((r) => metRestart(r)?.reason === reason).length,
    maxWaitMs: Math.max(0, ...queued.map((r) => r.waitedMs)),
    around: { count: answers.filter(around).length, ...latency(answers.filter(around)) },
    otherwise: latency(answers.filter((a) => !around(a))),
  };
}

// ---- the runs ----

const referenceCommand = ['env', `REF_WORKER_CONCURRENCY=${CLIENTS}`, node, referenceWorkerPath()];
const api = await startFakeAnthropic();
const claudeCwd = mkdtempSync(join(tmpdir(), 'lifeguard-bench-pool-claude-'));
const claudeCommand = ['env', ...Object.entries(claudeEnv(api)).map(([k, v]) => `${k}=${v}`), node, CLAUDE_CLI];
const drivers: Array<{ driver: string; flags: string[]; command: string[] }> = [
  { driver: 'jsonl', flags: ['--workers', '1', '--standby', '0'], command: [node, referenceWorkerPath()] },
  { driver: 'claude-code', flags: ['--driver', 'claude-code', '--workers', '1', '--standby', '0', '--worker-cwd', claudeCwd], command: claudeCommand },
  { driver: 'openai-http', flags: ['--driver', 'openai-http', '--workers', '1', '--standby', '0'], command: [node, fixture('fake-openai-server.mjs'), '--port', '{port}'] },
];
const load = loadavg().map((l) => l.toFixed(2)).join(' ');
const began = performance.now();
const cold: Array<{ driver: string; flags: string[]; command: string[]; samples: number[] }> = [];
try {
  for (const d of drivers) {
    cold.push({ ...d, samples: await coldStarts(d.flags, d.command) });
    process.stderr.write(`done: cold start ${d.driver}\n`);
  }
} finally {
  await api.close();
}
const handovers: Array<Awaited<ReturnType<typeof handover>>> = [];
// 40-turn processes too: 4 clients use up 10 turns faster than a spare restarts (the next process then
// reaches its hard limit with no spare ready), 40 turns leave the spare time to come back.
const setups: Array<[standby: number, clients: number, turnLimit: number]> = [
  [1, 1, 10],
  [1, CLIENTS, 10],
  [1, CLIENTS, 40],
  [0, 1, 10],
  [0, CLIENTS, 10],
];
for (const [standby, clients, turnLimit] of setups) {
  handovers.push(await handover(standby, clients, turnLimit));
  process.stderr.write(`done: handover --standby ${standby} --turn-limit ${turnLimit}, ${clients} client(s)\n`);
}

// ---- the tables ----

const ms = (value: number) => (Number.isNaN(value) ? '–' : `${Math.round(value)} ms`);
const spread = (samples: number[]) => {
  const q = quantiles(samples);
  return `${ms(q.min)} / ${ms(q.median)} / ${ms(q.max)}`;
};
const cliVersion = execFileSync(node, [CLAUDE_CLI, '--version'], { encoding: 'utf8' }).trim();
console.log(`bench/pool-figures — runs=${runs}, ${((performance.now() - began) / 1000).toFixed(0)} s in all`);
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'} (nproc ${execFileSync('nproc').toString().trim()}), load average at start ${load}, Node ${process.version}, Claude Code CLI ${cliVersion}`);
console.log('every lifeguard: in-process (startLifeguard), `--port 0 --lock-file <temp dir>/lock` plus the flags below');
console.log('');
console.log(`**Cold start per driver** — spawn → verified \`healthy\` (lifeguard_cold_start_seconds), over ${runs} \`restart\` commands each:`);
console.log('');
console.log('| driver | worker command | lifeguard flags | min / median / max |');
console.log('|---|---|---|---|');
for (const c of cold) {
  const command = c.driver === 'claude-code' ? `env HOME=<temp> ANTHROPIC_BASE_URL=<fake API on loopback> … node ${relative(root, CLAUDE_CLI)}` : shown(c.command);
  console.log(`| ${c.driver} | \`${command}\` | \`${shown(c.flags.map((flag) => (flag === claudeCwd ? '<temp>' : flag)))}\` | ${spread(c.samples)} |`);
}
console.log('');
console.log(`**Handover of a restart** — \`${shown(referenceCommand)}\` (stateless jsonl), each answer after ${ANSWER_MS} ms, requests sent back to back by each client until ${runs} handovers:`);
console.log('');
console.log('| lifeguard flags | clients | requests | failed | restarts: reason (with another process accepting at the drain) | queued (max wait): at which restart | handover min / median / max | requests around a handover: n, median / max latency | other requests: median / max latency |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const h of handovers) {
  const reasons = [...new Set(h.drains.map((d) => d.reason))];
  const restarts = reasons.map((reason) => `${h.drains.filter((d) => d.reason === reason).length} ${reason} (${h.drains.filter((d) => d.reason === reason && d.peerAccepting).length})`);
  const queued = `${h.queued} (${ms(h.maxWaitMs)})${h.queued ? `: ${reasons.map((reason) => `${h.queuedAt(reason)} at ${reason}`).join(', ')}` : ''}`;
  const handoverMs = h.drains.flatMap((d) => (d.handoverMs === null ? [] : [d.handoverMs]));
  console.log(
    `| \`${shown(h.flags)}\` | ${h.clients} | ${h.requests} | ${h.failed} | ${restarts.join(', ') || '0'} | ${queued} | ${spread(handoverMs)} | ${h.around.count}, ${ms(h.around.median)} / ${ms(h.around.max)} | ${ms(h.otherwise.median)} / ${ms(h.otherwise.max)} |`,
  );
}
console.log('');
console.log('handover: from the serving process\'s transition to `draining` to the first answer (client-side) from another process — another worker, or the same one\'s next run.');
console.log('restarts: the reason the worker machine gives, and how many of them began while another process was accepting (docs/architecture.md#conversations-and-the-pool: the condition for a proactive drain).');
console.log('queued: requests that found no process to take them (the supervisor\'s `routed` event, lifeguard_queue_wait_seconds); "around a handover": in flight at some moment of one.');
