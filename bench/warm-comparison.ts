// bench/warm-comparison (issue 28): how warm each way of serving Claude Code keeps it, side by side in
// one run, with the real CLI against the fake Anthropic API on loopback (test/fixtures/fake-anthropic-api.ts).
// Columns (systems under test), each started fresh for each workload and measured from ready to settled:
//   lifeguard columns — the compiled lifeguard, `--driver claude-code` plus the column's flags
//     (defaults: "defaults" no flags, "w2s2" `--workers 2 --standby 2`, "shared" `--isolation shared`;
//     add or replace with --column 'name=FLAGS', e.g. --column 'tenant=--isolation tenant');
//   "spawn" — bench/spawn-per-request.ts: a proxy spawning one CLI per request;
//   "raw" — persistent CLI processes driven directly over stream-json by this process (one for the
//     batch, one per conversation for the conversations, each turn writing only the new message): the limit.
// Workloads:
//   batch-c1 / batch-c4 — N independent one-message requests of ~1.5 KB, 1 or 4 at a time;
//   conversations — C conversations × T turns, interleaved (turn t of each in turn, one request at a
//     time: the round robin a pool with fewer processes than conversations loses every time), each
//     turn resending the whole history (raw: only the new message).
// Figures per cell: client-side latency median / p90; CPU seconds of the whole process tree of the
// system under test (lifeguard and every CLI it runs, the CLI processes it replaced and the spares it
// refilled after the load; the proxy and the CLIs it spawned; the raw CLIs) from ready to settled (at most
// 0.05 + 0.04 per process CPU-s in 2 s, and every lifeguard worker accepting); bytes sent to the API (request lines,
// headers and bodies, counted at the fake API) and its calls; lost routes
// (lifeguard_conversation_routes_total{result="lost"} from /metrics; continued/new beside it).
// Run: npx tsx bench/warm-comparison.ts [--quick] [--columns defaults,w2s2,shared,spawn,raw] [--column name=FLAGS]... [--workloads batch-c1,batch-c4,conversations]
//      [--batch 30] [--clients 3] [--turns 10] [--latency-ms 0]
//   --quick: batch 4, 3 conversations × 3 turns (the same shape, fewer requests).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { STREAM_JSON_ARGS } from '../src/drivers/claude-code/cli-flags.js';
import { QUIET_START_ENV, quietStartArgs, quietStartEnv } from '../src/drivers/claude-code/quiet-start.js';
import { startFakeAnthropic } from '../test/fixtures/fake-anthropic-api.js';
import { CLAUDE_CLI } from '../test/support/claude-code.js';
import { loadAverage, scanProc, treeCpuSeconds, treeOf } from './process-tree-cpu.js';
import { buildLifeguard, startServer } from './start-server.js';
import { quantiles } from './stats.js';

const { values: options } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    columns: { type: 'string' },
    column: { type: 'string', multiple: true, default: [] },
    batch: { type: 'string' },
    clients: { type: 'string' },
    turns: { type: 'string' },
    'latency-ms': { type: 'string', default: '0' },
    workloads: { type: 'string' },
  },
});
const count = (name: string, value: string | undefined, fallback: number) => {
  const n = value === undefined ? fallback : Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got ${JSON.stringify(value)}`);
  return n;
};
const batch = count('batch', options.batch, options.quick ? 4 : 30);
const clients = count('clients', options.clients, 3);
const turns = count('turns', options.turns, options.quick ? 3 : 10);
const latencyMs = count('latency-ms', options['latency-ms'], 0);
const MODEL = 'claude-sonnet-4-5';
const REQUEST_TIMEOUT_MS = 300_000;

// ---- columns ----

type Column = { name: string; kind: 'lifeguard'; flags: string[] } | { name: string; kind: 'spawn' | 'raw' };
const columns = new Map<string, Column>([
  ['defaults', { name: 'defaults', kind: 'lifeguard', flags: [] }],
  ['w2s2', { name: 'w2s2', kind: 'lifeguard', flags: ['--workers', '2', '--standby', '2'] }],
  ['shared', { name: 'shared', kind: 'lifeguard', flags: ['--isolation', 'shared'] }],
  ['spawn', { name: 'spawn', kind: 'spawn' }],
  ['raw', { name: 'raw', kind: 'raw' }],
]);
for (const spec of options.column ?? []) {
  const at = spec.indexOf('=');
  if (at < 1) throw new Error(`--column is name=FLAGS (lifeguard flags separated by spaces), got ${JSON.stringify(spec)}`);
  const name = spec.slice(0, at);
  columns.set(name, { name, kind: 'lifeguard', flags: spec.slice(at + 1).split(' ').filter(Boolean) });
}
const chosen = (options.columns?.split(',') ?? [...columns.keys()]).map((name) => {
  const column = columns.get(name.trim());
  if (!column) throw new Error(`--columns: no column ${JSON.stringify(name)} (known: ${[...columns.keys()].join(', ')})`);
  return column;
});

// ---- the world the systems run in ----

const api = await startFakeAnthropic({ latencyMs });
const scratch = mkdtempSync(join(tmpdir(), 'lifeguard-warm-comparison-'));
const home = mkdtempSync(join(tmpdir(), 'lifeguard-warm-comparison-home-'));
// Every system gets the same environment: the CLI's HOME and API, and none of the quiet-start
// variables (each system adds them itself: lifeguard's driver, the spawn proxy, the raw CLIs below).
const baseEnv: Record<string, string> = {};
for (const [name, value] of Object.entries(process.env)) if (value !== undefined && !(name in QUIET_START_ENV)) baseEnv[name] = value;
Object.assign(baseEnv, { HOME: home, ANTHROPIC_BASE_URL: api.url, ANTHROPIC_API_KEY: 'dummy' });

type Message = { role: 'system' | 'user' | 'assistant'; content: string };

interface System {
  /** The roots of the process trees whose CPU is counted. */
  pids: number[];
  ask(messages: Message[], conversation: number): Promise<string>;
  /** Settled beyond a quiet CPU: lifeguard's workers all accepting. */
  ready(): Promise<boolean>;
  routes(): Promise<Record<'continued' | 'new' | 'lost', number> | null>;
  stop(): Promise<void>;
}

let lockCount = 0;
async function startLifeguardColumn(flags: string[]): Promise<System> {
  const server = await startServer(
    [buildLifeguardOnce(), '--port', '0', '--driver', 'claude-code', '--worker-cwd', scratch, '--lock-file', join(scratch, `lock-${lockCount++}`), ...flags, '--', process.execPath, CLAUDE_CLI],
    baseEnv,
  );
  const url = `http://127.0.0.1:${server.port}`;
  return {
    pids: [server.child.pid!],
    ask: (messages) => chat(url, messages),
    async ready() {
      const health = (await (await fetch(`${url}/health`)).json()) as { workers?: Array<{ accepting?: boolean }> };
      return (health.workers ?? []).length > 0 && (health.workers ?? []).every((w) => w.accepting === true);
    },
    async routes() {
      const text = await (await fetch(`${url}/metrics`)).text();
      const of = (result: string) => Number(new RegExp(`^lifeguard_conversation_routes_total\\{result="${result}"\\} (\\S+)`, 'm').exec(text)?.[1] ?? Number.NaN);
      return { continued: of('continued'), new: of('new'), lost: of('lost') };
    },
    stop: () => server.stop(),
  };
}

let built: string | null = null;
const buildLifeguardOnce = () => (built ??= buildLifeguard());

async function startSpawnColumn(): Promise<System> {
  const server = await startServer(['bench/spawn-per-request.ts', CLAUDE_CLI], baseEnv);
  const url = `http://127.0.0.1:${server.port}`;
  return { pids: [server.child.pid!], ask: (messages) => chat(url, messages), ready: async () => true, routes: async () => null, stop: () => server.stop() };
}

async function chat(url: string, messages: Message[]): Promise<string> {
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: MODEL, messages }),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const body = (await response.json()) as { choices?: Array<{ message: { content: string } }> };
  if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${JSON.stringify(body).slice(0, 300)}`);
  return body.choices?.[0]?.message.content ?? '';
}

// One persistent CLI over stream-json, driven directly: turns are answered in the order written.
class RawCli {
  readonly child: ChildProcess;
  private readonly waiting: Array<(message: Record<string, any>) => void> = [];
  /** The CLI folds user messages that queue up in its input into one turn: one is written at a time. */
  private turn: Promise<unknown> = Promise.resolve();
  private readonly exited: Promise<void>;
  constructor(env: Record<string, string>) {
    this.child = spawn(process.execPath, [CLAUDE_CLI, ...STREAM_JSON_ARGS, ...quietStartArgs([]), '--model', MODEL], {
      env: { ...env, ...quietStartEnv(env) },
      cwd: scratch,
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const message = JSON.parse(line) as Record<string, any>;
      if (message.type === 'result' || message.type === 'control_response') this.waiting.shift()?.(message);
    });
  }
  private send(message: object): Promise<Record<string, any>> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.child.stdin!.write(`${JSON.stringify(message)}\n`);
    });
  }
  initialize = () => this.send({ type: 'control_request', request_id: 'init', request: { subtype: 'initialize' } });
  async ask(text: string): Promise<string> {
    const turn = this.turn.then(() => this.send({ type: 'user', message: { role: 'user', content: text }, parent_tool_use_id: null, session_id: 'default' }));
    this.turn = turn.catch(() => undefined);
    const result = await turn;
    if (result.is_error) throw new Error(`the raw CLI failed a turn: ${String(result.result)}`);
    return String(result.result ?? '');
  }
  async stop() {
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

// The raw CLIs, children of this process: their trees' CPU is summed.
async function startRawColumn(processes: number): Promise<System> {
  const clis = Array.from({ length: processes }, () => new RawCli(baseEnv));
  await Promise.all(clis.map((cli) => cli.initialize()));
  return {
    pids: clis.map((cli) => cli.child.pid!),
    // Only the new message: the process holds the conversation.
    ask: (messages, conversation) => clis[conversation % clis.length]!.ask(messages.at(-1)!.content),
    ready: async () => true,
    routes: async () => null,
    async stop() {
      await Promise.all(clis.map((cli) => cli.stop()));
    },
  };
}

const processCount = (system: System) => {
  const stats = scanProc();
  return system.pids.reduce((sum, pid) => sum + treeOf(pid, stats).length, 0);
};

/** CPU seconds so far of a system's process trees. */
function cpuOf(system: System): number {
  const stats = scanProc();
  return system.pids.reduce((sum, pid) => sum + treeCpuSeconds(pid, stats), 0);
}

// Settled: over the last 2 s the trees used at most 0.05 CPU-s plus 0.04 per process in them (an idle CLI's
// timers tick now and then, more on a busy machine) and the system says it is ready (bounded).
async function settle(system: System, what: string): Promise<void> {
  const deadline = Date.now() + 300_000;
  const samples: number[] = [cpuOf(system)];
  for (;;) {
    if (Date.now() > deadline) throw new Error(`${what}: not settled within 300 s (CPU-s over the last 2 s: ${samples.map((s) => s.toFixed(2)).join(' → ')})`);
    await new Promise((resolve) => setTimeout(resolve, 250));
    samples.push(cpuOf(system));
    if (samples.length > 9) samples.shift();
    if (samples.length === 9 && samples[8]! - samples[0]! <= 0.05 + 0.04 * processCount(system) && (await system.ready())) return;
  }
}

// ---- workloads ----

type Workload = 'batch-c1' | 'batch-c4' | 'conversations';
const ALL_WORKLOADS: Workload[] = ['batch-c1', 'batch-c4', 'conversations'];
const WORKLOADS = (options.workloads?.split(',').map((w) => w.trim()) ?? ALL_WORKLOADS) as Workload[];
for (const w of WORKLOADS) if (!ALL_WORKLOADS.includes(w)) throw new Error(`--workloads: no workload ${JSON.stringify(w)} (known: ${ALL_WORKLOADS.join(', ')})`);
const filler = 'The supplier confirms the delivery of the goods listed below, with quantities, unit prices and the terms agreed. ';
const record = (i: number) => {
  const head = `record ${i}: extract supplier, date and total as JSON. Invoice from Supplier ${i} Ltd dated 2026-11-${String((i % 28) + 1).padStart(2, '0')}, total ${(i * 37.5).toFixed(2)} EUR. `;
  return (head + filler.repeat(Math.ceil((1500 - head.length) / filler.length))).slice(0, 1500);
};

function check(answer: string, marker: string) {
  if (!answer.startsWith('Echo:') || !answer.includes(marker)) throw new Error(`an answer without its request's words (${marker}): ${answer.slice(0, 200)}`);
}

async function runWorkload(system: System, workload: Workload): Promise<number[]> {
  const times: number[] = [];
  const timed = async (messages: Message[], conversation: number, marker: string) => {
    const began = performance.now();
    const answer = await system.ask(messages, conversation);
    times.push(performance.now() - began);
    check(answer, marker);
    return answer;
  };
  if (workload === 'conversations') {
    const histories: Message[][] = Array.from({ length: clients }, (_, c) => [{ role: 'system', content: `You are assistant number ${c + 1}. Be brief.` }]);
    for (let t = 1; t <= turns; t++) {
      for (let c = 0; c < clients; c++) {
        const marker = `client ${c + 1} turn ${t}`;
        histories[c]!.push({ role: 'user', content: `${marker}: please summarise item ${t} of my list, a line about topic ${c}-${t}.` });
        histories[c]!.push({ role: 'assistant', content: await timed(histories[c]!, c, marker) });
      }
    }
    return times;
  }
  let next = 0;
  await Promise.all(
    Array.from({ length: workload === 'batch-c1' ? 1 : 4 }, async () => {
      while (next < batch) {
        const i = ++next;
        await timed([{ role: 'user', content: record(i) }], 0, `record ${i}:`);
      }
    }),
  );
  return times;
}

interface Cell {
  requests: number;
  wallS: number;
  latency: ReturnType<typeof quantiles>;
  cpuS: number;
  upstreamBytes: number;
  upstreamCalls: number;
  routes: Record<'continued' | 'new' | 'lost', number> | null;
  load: string;
}

async function measure(column: Column, workload: Workload): Promise<Cell> {
  const system =
    column.kind === 'lifeguard' ? await startLifeguardColumn(column.flags) : column.kind === 'spawn' ? await startSpawnColumn() : await startRawColumn(workload === 'conversations' ? clients : 1);
  try {
    await settle(system, `${column.name} before ${workload}`);
    const routesBefore = await system.routes();
    const traffic = { bytes: api.traffic.bytes, calls: api.traffic.calls };
    const cpuBefore = cpuOf(system);
    const began = performance.now();
    const times = await runWorkload(system, workload);
    const wallS = (performance.now() - began) / 1000;
    await settle(system, `${column.name} after ${workload}`); // spares refilled, replaced processes started: counted
    const routesAfter = await system.routes();
    return {
      requests: times.length,
      wallS,
      latency: quantiles(times),
      cpuS: cpuOf(system) - cpuBefore,
      upstreamBytes: api.traffic.bytes - traffic.bytes,
      upstreamCalls: api.traffic.calls - traffic.calls,
      routes: routesBefore && routesAfter ? { continued: routesAfter.continued - routesBefore.continued, new: routesAfter.new - routesBefore.new, lost: routesAfter.lost - routesBefore.lost } : null,
      load: loadAverage(),
    };
  } finally {
    await system.stop();
  }
}

// ---- the run ----

const cliVersion = (JSON.parse(readFileSync(new URL('../node_modules/@anthropic-ai/claude-code/package.json', import.meta.url), 'utf8')) as { version: string }).version;
const began = performance.now();
const loadAtStart = loadAverage();
const cells = new Map<string, Cell>();
for (const workload of WORKLOADS) {
  if ((workload === 'conversations' ? clients * turns : batch) === 0) continue;
  for (const column of chosen) {
    const cell = await measure(column, workload);
    cells.set(`${column.name}/${workload}`, cell);
    process.stderr.write(`${workload} × ${column.name}: median ${Math.round(cell.latency.median)} ms, ${cell.cpuS.toFixed(2)} CPU-s, load ${cell.load}\n`);
  }
}
await api.close();

const describeColumn = (column: Column) =>
  column.kind === 'lifeguard' ? `lifeguard ${column.flags.length ? `\`${column.flags.join(' ')}\`` : 'defaults'}` : column.kind === 'spawn' ? 'spawn per request' : 'raw persistent CLI';
const workloadName: Record<Workload, string> = {
  'batch-c1': `batch: ${batch} independent 1.5 KB one-message requests, concurrency 1`,
  'batch-c4': `the same at concurrency 4`,
  conversations: `${clients} conversations × ${turns} turns, interleaved, history resent`,
};
const ms = (v: number) => `${Math.round(v)} ms`;
console.log(`bench/warm-comparison${options.quick ? ' (quick)' : ''} — ${((performance.now() - began) / 1000).toFixed(0)} s in all; load average ${loadAtStart} at the start, ${loadAverage()} at the end`);
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, Claude Code CLI ${cliVersion}, fake Anthropic API latency ${latencyMs} ms`);
console.log('cell: latency median / p90 · CPU-s per request (whole process tree, refills counted) · upstream KB per request · lost routes (lifeguard)');
console.log('');
console.log(`| workload | ${chosen.map(describeColumn).join(' | ')} |`);
console.log(`|---|${chosen.map(() => '---|').join('')}`);
for (const workload of WORKLOADS) {
  const row = chosen.map((column) => {
    const cell = cells.get(`${column.name}/${workload}`);
    if (!cell) return '–';
    const lost = cell.routes ? ` · lost ${cell.routes.lost} of ${cell.requests}` : '';
    return `${ms(cell.latency.median)} / ${ms(cell.latency.p90)} · ${(cell.cpuS / cell.requests).toFixed(2)} CPU-s · ${(cell.upstreamBytes / cell.requests / 1024).toFixed(1)} KB${lost}`;
  });
  console.log(`| ${workloadName[workload]} | ${row.join(' | ')} |`);
}
console.log('');
console.log('| workload | system | requests | wall | median | p90 | CPU-s (total) | CPU-s per request | req/s | upstream calls | upstream bytes | routes continued/new/lost | load average after |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const workload of WORKLOADS) {
  for (const column of chosen) {
    const cell = cells.get(`${column.name}/${workload}`);
    if (!cell) continue;
    const routes = cell.routes ? `${cell.routes.continued}/${cell.routes.new}/${cell.routes.lost}` : '–';
    console.log(
      `| ${workload} | ${describeColumn(column)} | ${cell.requests} | ${cell.wallS.toFixed(1)} s | ${ms(cell.latency.median)} | ${ms(cell.latency.p90)} | ${cell.cpuS.toFixed(2)} | ${(cell.cpuS / cell.requests).toFixed(3)} | ` +
        `${(cell.requests / cell.wallS).toFixed(2)} | ${cell.upstreamCalls} | ${cell.upstreamBytes} | ${routes} | ${cell.load} |`,
    );
  }
}
