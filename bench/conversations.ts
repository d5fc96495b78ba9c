// bench/conversations: what conversation isolation costs and saves, through lifeguard --driver claude-code
// (the real Claude Code CLI against the fake Anthropic API on loopback), for two loads:
//   (1) conversations: C clients, concurrently, each a T-turn conversation resending its whole history
//       every turn (as every OpenAI client does);
//   (2) batch: N independent one-message requests (a batch-extraction pipeline), P at a time;
// each under --isolation isolated (one conversation per process, clean spares) and --isolation shared.
// Per run: tokens sent upstream, latency per request, CPU seconds per request (lifeguard + its CLI
// processes), conversation routes, queue waits, and the CLI's cold starts (spawn → healthy).
// Run: npx tsx bench/conversations.ts [clients=3] [turns=10] [batch=30] [batch concurrency=3] [api latency ms=150]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLifeguard, type RunningLifeguard } from '../src/cli/start-lifeguard.js';
import { loadConfig } from '../src/config/load-config.js';
import { silentLogger } from '../src/util/logger.js';
import type { SupervisorEvent } from '../src/supervisor/supervisor.js';
import { startFakeAnthropic } from '../test/fixtures/fake-anthropic-api.js';
import { CLAUDE_CLI, claudeEnv } from '../test/support/claude-code.js';
import { quantiles } from './stats.js';

const clients = Number(process.argv[2] ?? 3);
const turns = Number(process.argv[3] ?? 10);
const batch = Number(process.argv[4] ?? 30);
const batchConcurrency = Number(process.argv[5] ?? 3);
const latencyMs = Number(process.argv[6] ?? 150);
for (const [name, value] of Object.entries({ clients, turns, batch, batchConcurrency, latencyMs })) {
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got ${String(value)}`);
}

const api = await startFakeAnthropic({ latencyMs });
const workerEnv = claudeEnv(api);
const cwd = mkdtempSync(join(tmpdir(), 'lifeguard-bench-conversations-'));
const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
const cliVersion = (JSON.parse(readFileSync(new URL('../node_modules/@anthropic-ai/claude-code/package.json', import.meta.url), 'utf8')) as { version: string }).version;

type Message = { role: 'system' | 'user' | 'assistant'; content: string };
type Routed = Extract<SupervisorEvent, { type: 'routed' }>;

// ---- CPU: this process (lifeguard, the fake API and the clients) and every descendant process ----

interface ProcStat {
  ppid: number;
  /** utime + stime, in clock ticks. */
  own: number;
  /** cutime + cstime: the CPU of its children that exited and were reaped by it. */
  reaped: number;
}

function readStat(pid: string): ProcStat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), own: Number(fields[11]) + Number(fields[12]), reaped: Number(fields[13]) + Number(fields[14]) };
  } catch {
    return null; // it exited meanwhile
  }
}

/**
 * CPU seconds so far of the CLI processes: every live descendant of this process (its own CPU and its
 * reaped children's) plus this process's reaped children (the CLI processes that already exited —
 * lifeguard spawns and reaps them, so the kernel adds their CPU to our cutime/cstime).
 */
function childrenCpuSeconds(): number {
  const stats = new Map<number, ProcStat>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(name);
    if (stat) stats.set(Number(name), stat);
  }
  const descendants = new Set<number>([process.pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, stat] of stats) {
      if (!descendants.has(pid) && descendants.has(stat.ppid)) {
        descendants.add(pid);
        grew = true;
      }
    }
  }
  let ticks = stats.get(process.pid)?.reaped ?? 0;
  for (const pid of descendants) if (pid !== process.pid) ticks += stats.get(pid)!.own + stats.get(pid)!.reaped;
  return ticks / ticksPerSecond;
}

function selfCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

// ---- figures ----

interface RunResult {
  load: string;
  setup: string;
  requests: number;
  wallS: number;
  latency: ReturnType<typeof quantiles>;
  upstreamCalls: number;
  /** Σ over upstream calls of ceil(chars of JSON(messages) / 4): the fake API's input_tokens. */
  messageTokens: number;
  /** Σ over upstream calls of ceil(chars of the whole JSON body / 4): system prompt and tools included. */
  bodyTokens: number;
  cliCpuS: number;
  selfCpuS: number;
  routes: Record<Routed['result'], number>;
  queued: number;
  maxWaitMs: number;
  coldStartsMs: number[];
}

// ---- lifeguard ----

async function until(condition: () => boolean, what: string, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const allAccepting = (lifeguard: RunningLifeguard) => lifeguard.supervisor.snapshots().every((w) => w.snapshot.hasTag('accepting'));

async function ask(lifeguard: RunningLifeguard, messages: Message[], marker: string): Promise<{ answer: string; ms: number }> {
  const began = performance.now();
  const response = await fetch(`${lifeguard.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'claude-sonnet-4-5', messages }),
  });
  const body = (await response.json()) as { choices?: Array<{ message: { content: string } }> };
  const ms = performance.now() - began;
  const answer = body.choices?.[0]?.message.content ?? '';
  if (response.status !== 200 || !answer.startsWith('Echo:') || !answer.includes(marker)) {
    throw new Error(`unexpected answer (HTTP ${response.status}) for ${marker}: ${JSON.stringify(body).slice(0, 300)}`);
  }
  return { answer, ms };
}

async function conversationsLoad(lifeguard: RunningLifeguard): Promise<number[]> {
  const times: number[] = [];
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      const history: Message[] = [{ role: 'system', content: `You are assistant number ${c + 1}. Be brief.` }];
      for (let t = 1; t <= turns; t++) {
        const marker = `client ${c + 1} turn ${t}`;
        history.push({ role: 'user', content: `${marker}: please summarise item ${t} of my list, a line about topic ${c}-${t}.` });
        const { answer, ms } = await ask(lifeguard, history, marker);
        history.push({ role: 'assistant', content: answer });
        times.push(ms);
      }
    }),
  );
  return times;
}

async function batchLoad(lifeguard: RunningLifeguard): Promise<number[]> {
  const times: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: batchConcurrency }, async () => {
      while (next < batch) {
        const i = ++next;
        const marker = `record ${i}`;
        const content = `Extract name, date and amount as JSON from ${marker}: "Invoice from Supplier ${i} Ltd dated 2026-11-${String((i % 28) + 1).padStart(2, '0')}, total ${(i * 37.5).toFixed(2)} EUR."`;
        times.push((await ask(lifeguard, [{ role: 'user', content }], marker)).ms);
      }
    }),
  );
  return times;
}

async function run(load: 'conversations' | 'batch', flags: string[]): Promise<RunResult> {
  const config = loadConfig(
    ['--port', '0', '--driver', 'claude-code', '--worker-cwd', cwd, '--lock-file', join(cwd, 'lock'), ...flags, '--', 'env', ...Object.entries(workerEnv).map(([k, v]) => `${k}=${v}`), process.execPath, CLAUDE_CLI],
    {},
  );
  const lifeguard = await startLifeguard(config, silentLogger);
  const routed: Routed[] = [];
  const coldStartsMs: number[] = [];
  const spawnedAt = new Map<string, number>();
  lifeguard.supervisor.subscribe((event) => {
    if (event.type === 'routed') routed.push(event);
    if (event.type === 'spawned') spawnedAt.set(event.workerId, performance.now());
    if (event.type === 'transition' && event.to === 'healthy' && spawnedAt.has(event.workerId)) {
      coldStartsMs.push(performance.now() - spawnedAt.get(event.workerId)!);
      spawnedAt.delete(event.workerId);
    }
  });
  try {
    // The pool's first processes start before this subscription: measure from a pool that is ready.
    await until(() => allAccepting(lifeguard), 'the pool to accept');
    const firstCall = api.requests.length;
    const cpuBefore = { cli: childrenCpuSeconds(), self: selfCpuSeconds() };
    const began = performance.now();
    const times = load === 'conversations' ? await conversationsLoad(lifeguard) : await batchLoad(lifeguard);
    const wallS = (performance.now() - began) / 1000;
    // The spares the load consumed are part of its cost: count their start too.
    await until(() => allAccepting(lifeguard), 'the pool to settle');
    const cpuAfter = { cli: childrenCpuSeconds(), self: selfCpuSeconds() };
    const calls = api.requests.slice(firstCall);
    const count = (result: Routed['result']) => routed.filter((r) => r.result === result).length;
    return {
      load,
      setup: flags.join(' '),
      requests: times.length,
      wallS,
      latency: quantiles(times),
      upstreamCalls: calls.length,
      messageTokens: calls.reduce((sum, body) => sum + Math.ceil(JSON.stringify(body.messages ?? []).length / 4), 0),
      bodyTokens: calls.reduce((sum, body) => sum + Math.ceil(JSON.stringify(body).length / 4), 0),
      cliCpuS: cpuAfter.cli - cpuBefore.cli,
      selfCpuS: cpuAfter.self - cpuBefore.self,
      routes: { continued: count('continued'), new: count('new'), lost: count('lost'), moved: count('moved') },
      queued: routed.filter((r) => r.queued).length,
      maxWaitMs: Math.max(0, ...routed.map((r) => r.waitedMs)),
      coldStartsMs,
    };
  } finally {
    await lifeguard.shutdown();
  }
}

const runs: Array<['conversations' | 'batch', string[]]> = [
  ['conversations', ['--isolation', 'isolated', '--workers', '1', '--standby', '1']],
  // One process per concurrent conversation (the same run as the defaults' for a single client).
  ...(clients > 1 ? [['conversations', ['--isolation', 'isolated', '--workers', String(clients), '--standby', '1']] as ['conversations', string[]]] : []),
  ['conversations', ['--isolation', 'shared', '--workers', '1', '--standby', '0']],
  ['batch', ['--isolation', 'isolated', '--workers', '1', '--standby', '1']],
  ['batch', ['--isolation', 'shared', '--workers', '1', '--standby', '0']],
];
const results: RunResult[] = [];
const benchBegan = performance.now();
for (const [load, flags] of runs) {
  if ((load === 'conversations' ? clients * turns : batch) === 0) continue;
  results.push(await run(load, flags));
  process.stderr.write(`done: ${load} ${flags.join(' ')}\n`);
}
await api.close();

const ms = (value: number) => `${Math.round(value)} ms`;
const thousands = (value: number) => `${(value / 1000).toFixed(1)} k`;
console.log(`bench/conversations — ${((performance.now() - benchBegan) / 1000).toFixed(0)} s in all`);
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'} (nproc ${execFileSync('nproc').toString().trim()}), Node ${process.version}, Claude Code CLI ${cliVersion}, fake Anthropic API latency ${latencyMs} ms`);
console.log(`load "conversations": ${clients} concurrent clients × ${turns}-turn conversations, each turn resending the whole history`);
console.log(`load "batch": ${batch} independent one-message requests, ${batchConcurrency} at a time`);
console.log('lifeguard defaults otherwise (turn_limit 10, proactive restart at 80 %, token_limit 150 000)');
console.log('');
console.log('| load | lifeguard flags | requests | wall | median | p90 | upstream calls | tokens upstream (messages) | tokens upstream (whole body) | CPU s/request (CLI processes + lifeguard process) | routes continued/new/lost | queued (max wait) | cold starts min/median/max |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of results) {
  const cold = quantiles(r.coldStartsMs);
  console.log(
    [
      r.load,
      `\`${r.setup}\``,
      r.requests,
      `${r.wallS.toFixed(1)} s`,
      ms(r.latency.median),
      ms(r.latency.p90),
      r.upstreamCalls,
      thousands(r.messageTokens),
      thousands(r.bodyTokens),
      `${((r.cliCpuS + r.selfCpuS) / r.requests).toFixed(3)} (${(r.cliCpuS / r.requests).toFixed(3)} + ${(r.selfCpuS / r.requests).toFixed(3)})`,
      `${r.routes.continued}/${r.routes.new}/${r.routes.lost}`,
      `${r.queued} (${ms(r.maxWaitMs)})`,
      r.coldStartsMs.length ? `${r.coldStartsMs.length}: ${ms(cold.min)}/${ms(cold.median)}/${ms(cold.max)}` : '0',
    ].join(' | ').replace(/^/, '| ').replace(/$/, ' |'),
  );
}
console.log('');
console.log('tokens: Σ over the upstream /v1/messages calls of ceil(chars/4) — "messages" is the fake API\'s input_tokens (the JSON of body.messages), "whole body" adds the system prompt and tool definitions.');
console.log('CPU: "CLI processes" is utime+stime (from /proc/<pid>/stat) of every descendant of the bench process plus the descendants that exited (its cutime+cstime), from a ready pool to a settled one (consumed spares replaced);');
console.log('     "lifeguard process" is process.cpuUsage() of the bench process, which hosts lifeguard, the fake API and the HTTP clients.');
console.log('cold starts: spawned → healthy (initialize answered and verified) of every CLI process started during the load and the settling after it.');
