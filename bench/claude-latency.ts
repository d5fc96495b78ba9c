// bench/claude-latency: median and p90 latency of one chat turn through
//   (a) lifeguard with --driver claude-code (one persistent CLI behind the OpenAI API),
//   (b) turns written straight into one persistent `claude -p --input-format stream-json` process,
//   (c) one `claude -p <prompt>` process per request,
// all against the same fake Anthropic API on loopback, with the same prompts.
// Run: npx tsx bench/claude-latency.ts [requests=20] [api latency ms=150]
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startLifeguard } from '../src/cli/start-lifeguard.js';
import { loadConfig } from '../src/config/load-config.js';
import { STREAM_JSON_ARGS } from '../src/drivers/claude-code/cli-flags.js';
import { silentLogger } from '../src/util/logger.js';
import { startFakeAnthropic } from '../test/fixtures/fake-anthropic-api.js';
import { CLAUDE_CLI, claudeEnv } from '../test/support/claude-code.js';
import { quantiles } from './stats.js';

const requests = Number(process.argv[2] ?? 20);
const latencyMs = Number(process.argv[3] ?? 150);
const prompts = Array.from({ length: requests }, (_, i) => `benchmark prompt number ${i + 1}`);

const api = await startFakeAnthropic({ latencyMs });
const env = { ...process.env, ...claudeEnv(api) };
const cwd = mkdtempSync(join(tmpdir(), 'lifeguard-bench-'));

async function viaLifeguard(): Promise<number[]> {
  const config = loadConfig(
    ['--port', '0', '--driver', 'claude-code', '--turn-limit', '0', '--token-limit', '0', '--worker-cwd', cwd, '--lock-file', join(cwd, 'lock'), '--', 'env', ...Object.entries(claudeEnv(api)).map(([k, v]) => `${k}=${v}`), process.execPath, CLAUDE_CLI],
    {},
  );
  const lifeguard = await startLifeguard(config, silentLogger);
  try {
    while (!lifeguard.supervisor.snapshots()[0]!.snapshot.hasTag('accepting')) await new Promise((r) => setTimeout(r, 50));
    const times: number[] = [];
    for (const prompt of ['warm-up', ...prompts]) {
      const began = performance.now();
      const response = await fetch(`${lifeguard.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: prompt }] }),
      });
      const body = (await response.json()) as { choices: Array<{ message: { content: string } }> };
      if (body.choices[0]!.message.content !== `Echo: ${prompt}`) throw new Error(`unexpected answer ${JSON.stringify(body)}`);
      if (prompt !== 'warm-up') times.push(performance.now() - began);
    }
    return times;
  } finally {
    await lifeguard.shutdown();
  }
}

async function viaPersistentCli(): Promise<number[]> {
  const child = spawn(process.execPath, [CLAUDE_CLI, ...STREAM_JSON_ARGS], { env, cwd, stdio: ['pipe', 'pipe', 'ignore'] });
  const lines = createInterface({ input: child.stdout });
  const waiting: Array<(message: Record<string, unknown>) => void> = [];
  lines.on('line', (line) => {
    const message = JSON.parse(line) as Record<string, unknown>;
    if (message.type === 'result' || message.type === 'control_response') waiting.shift()?.(message);
  });
  const next = () => new Promise<Record<string, unknown>>((resolve) => waiting.push(resolve));
  child.stdin.write(`${JSON.stringify({ type: 'control_request', request_id: 'init', request: { subtype: 'initialize' } })}\n`);
  await next();
  const times: number[] = [];
  for (const prompt of ['warm-up', ...prompts]) {
    const began = performance.now();
    const answered = next();
    child.stdin.write(`${JSON.stringify({ type: 'user', message: { role: 'user', content: prompt } })}\n`);
    const result = await answered;
    if (result.result !== `Echo: ${prompt}`) throw new Error(`unexpected answer ${JSON.stringify(result).slice(0, 200)}`);
    if (prompt !== 'warm-up') times.push(performance.now() - began);
  }
  child.stdin.end();
  await new Promise((resolve) => child.once('exit', resolve));
  return times;
}

async function viaProcessPerRequest(): Promise<number[]> {
  const times: number[] = [];
  for (const prompt of prompts) {
    const began = performance.now();
    const child = spawn(process.execPath, [CLAUDE_CLI, '-p', prompt, '--output-format', 'json'], { env, cwd, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await new Promise((resolve) => child.once('exit', resolve));
    if ((JSON.parse(out) as { result: string }).result !== `Echo: ${prompt}`) throw new Error(`unexpected answer ${out.slice(0, 200)}`);
    times.push(performance.now() - began);
  }
  return times;
}

const a = quantiles(await viaLifeguard());
const b = quantiles(await viaPersistentCli());
const c = quantiles(await viaProcessPerRequest());
await api.close();

const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
console.log(`bench/claude-latency — ${requests} sequential requests each (after one warm-up), fake Anthropic API latency ${latencyMs} ms`);
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, Claude Code CLI ${CLAUDE_CLI.includes('claude-code') ? '@anthropic-ai/claude-code (devDependency)' : CLAUDE_CLI}`);
console.log('');
console.log('| setup | median | p90 | min | max |');
console.log('|---|---|---|---|---|');
console.log(`| (a) lifeguard --driver claude-code, POST /v1/chat/completions | ${fmt(a.median)} | ${fmt(a.p90)} | ${fmt(a.min)} | ${fmt(a.max)} |`);
console.log(`| (b) one persistent \`claude ${STREAM_JSON_ARGS.join(' ')}\` | ${fmt(b.median)} | ${fmt(b.p90)} | ${fmt(b.min)} | ${fmt(b.max)} |`);
console.log(`| (c) \`claude -p <prompt> --output-format json\` per request | ${fmt(c.median)} | ${fmt(c.p90)} | ${fmt(c.min)} | ${fmt(c.max)} |`);
console.log('');
console.log(`(a) vs (b): ${(((a.median - b.median) / b.median) * 100).toFixed(1)} % (target: within 15 %)`);
console.log(`(c) / (a): ${(c.median / a.median).toFixed(1)}× (target: at least 3×)`);
