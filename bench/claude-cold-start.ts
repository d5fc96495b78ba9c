// bench/claude-cold-start (issue 28 item 5): what one cold start of the Claude Code CLI costs, and what
// each piece of src/drivers/claude-code/quiet-start.ts (and `--tools ""`) saves. One start: the CLI as
// lifeguard's claude-code driver spawns it (`-p` stream-json), against the fake Anthropic API on
// loopback, from one scratch HOME and working directory (primed by an unmeasured start, as a server's
// are after its first); the initialize control request is written at once. Measured: wall time to the
// initialize answer, and CPU seconds of the CLI's process tree (from /proc, children included) until it
// is initialized and quiet (no CPU tick for 1 s; at most 60 s), and the HTTP calls it made to the API.
// The variants are cumulative, each adding one change to the one before; their starts are interleaved
// (round r starts every variant once), so the machine's drift touches all alike.
// Run: npx tsx bench/claude-cold-start.ts [starts per variant=3]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { STREAM_JSON_ARGS } from '../src/drivers/claude-code/cli-flags.js';
import { QUIET_START_ENV } from '../src/drivers/claude-code/quiet-start.js';
import { startFakeAnthropic } from '../test/fixtures/fake-anthropic-api.js';
import { CLAUDE_CLI } from '../test/support/claude-code.js';
import { loadAverage, scanProc, treeCpuSeconds } from './process-tree-cpu.js';
import { quantiles } from './stats.js';

const starts = Number(process.argv[2] ?? 3);
if (!Number.isInteger(starts) || starts < 1) throw new Error(`starts per variant must be a positive integer, got ${process.argv[2]}`);
const QUIET_FOR_MS = 1000;
const MAX_MS = 60_000;

const api = await startFakeAnthropic();
const home = mkdtempSync(join(tmpdir(), 'lifeguard-cold-start-home-'));
const cwd = mkdtempSync(join(tmpdir(), 'lifeguard-cold-start-cwd-'));
// The plain environment: the bench's own, without any variable a variant sets.
const plainEnv: Record<string, string> = {};
for (const [name, value] of Object.entries(process.env)) if (value !== undefined && !(name in QUIET_START_ENV)) plainEnv[name] = value;
Object.assign(plainEnv, { HOME: home, ANTHROPIC_BASE_URL: api.url, ANTHROPIC_API_KEY: 'dummy' });

interface Variant {
  name: string;
  env: Record<string, string>;
  args: string[];
}
const pick = (...names: string[]) => Object.fromEntries(names.map((name) => [name, QUIET_START_ENV[name]!]));
const steps: Array<{ name: string; env?: Record<string, string>; args?: string[] }> = [
  { name: 'plain' },
  { name: '+ DISABLE_AUTOUPDATER, DISABLE_TELEMETRY, DISABLE_ERROR_REPORTING, CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC', env: pick('DISABLE_AUTOUPDATER', 'DISABLE_TELEMETRY', 'DISABLE_ERROR_REPORTING', 'CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC') },
  { name: '+ DISABLE_INSTALLATION_CHECKS, CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL', env: pick('DISABLE_INSTALLATION_CHECKS', 'CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL') },
  { name: '+ --strict-mcp-config', args: ['--strict-mcp-config'] },
  { name: '+ --setting-sources ""', args: ['--setting-sources', ''] },
  { name: '+ --tools "" (not added by quiet-start: no built-in tools at all)', args: ['--tools', ''] },
];
const variants: Variant[] = [];
for (const step of steps) {
  const before = variants.at(-1) ?? { env: {}, args: [] };
  variants.push({ name: step.name, env: { ...before.env, ...step.env }, args: [...before.args, ...(step.args ?? [])] });
}

interface Start {
  initializedMs: number;
  cpuS: number;
  quietMs: number;
  calls: number;
}

async function coldStart(variant: Variant): Promise<Start> {
  const callsBefore = api.traffic.calls;
  const began = performance.now();
  const child = spawn(process.execPath, [CLAUDE_CLI, ...STREAM_JSON_ARGS, ...variant.args], { env: { ...plainEnv, ...variant.env }, cwd, stdio: ['pipe', 'pipe', 'ignore'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const initialized = new Promise<number>((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        if (line.includes('"control_response"') && line.includes('"bench-init"')) resolve(performance.now() - began);
      });
      child.once('exit', (code) => reject(new Error(`the CLI exited (${code}) before it was initialized`)));
    });
    child.stdin.write(`${JSON.stringify({ type: 'control_request', request_id: 'bench-init', request: { subtype: 'initialize' } })}\n`);
    const initializedMs = await initialized;
    // Quiet: the tree's CPU has not moved for QUIET_FOR_MS (the CLI's start-up work after initialize included).
    let last = treeCpuSeconds(child.pid!, scanProc());
    let still = performance.now();
    while (performance.now() - still < QUIET_FOR_MS && performance.now() - began < MAX_MS) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const now = treeCpuSeconds(child.pid!, scanProc());
      if (now !== last) {
        last = now;
        still = performance.now();
      }
    }
    return { initializedMs, cpuS: last, quietMs: still - began, calls: api.traffic.calls - callsBefore };
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
}

const cliVersion = (JSON.parse(readFileSync(new URL('../node_modules/@anthropic-ai/claude-code/package.json', import.meta.url), 'utf8')) as { version: string }).version;
console.log(`bench/claude-cold-start — Claude Code CLI ${cliVersion}, ${starts} starts per variant (interleaved), Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`);
console.log(`load average at the start: ${loadAverage()}`);
await coldStart(variants[0]!); // primes HOME (first-run files), not counted
const results = variants.map(() => [] as Start[]);
for (let round = 0; round < starts; round++) {
  for (const [i, variant] of variants.entries()) {
    results[i]!.push(await coldStart(variant));
    process.stderr.write(`round ${round + 1}: ${variant.name}: ${results[i]!.at(-1)!.cpuS.toFixed(2)} CPU-s\n`);
  }
}
await api.close();

const f2 = (v: number) => v.toFixed(2);
console.log('');
console.log('| variant (cumulative) | CPU-s to initialized and quiet: median (each start) | saved against the row before (medians) | to initialize answer: median | to quiet: median | API calls per start |');
console.log('|---|---|---|---|---|---|');
variants.forEach((variant, i) => {
  const cpu = quantiles(results[i]!.map((r) => r.cpuS)).median;
  const previous = i > 0 ? quantiles(results[i - 1]!.map((r) => r.cpuS)).median : Number.NaN;
  console.log(
    `| ${variant.name} | ${f2(cpu)} (${results[i]!.map((r) => f2(r.cpuS)).join(', ')}) | ${i > 0 ? `${f2(previous - cpu)} (${(((previous - cpu) / previous) * 100).toFixed(0)} %)` : '–'} | ` +
      `${Math.round(quantiles(results[i]!.map((r) => r.initializedMs)).median)} ms | ${Math.round(quantiles(results[i]!.map((r) => r.quietMs)).median)} ms | ${results[i]!.map((r) => r.calls).join(', ')} |`,
  );
});
console.log(`load average at the end: ${loadAverage()}`);
