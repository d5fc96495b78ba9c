// bench/structured-output: one structured answer per request (the same JSON Schema every time, as an
// extraction pipeline sends it), median and p90 latency through
//   (a) lifeguard --driver claude-code with `response_format` (the schema stated in the turn, the answer
//       validated by lifeguard),
//   (b) one persistent `claude -p … --json-schema <schema>` process, turns written straight in (the
//       model calls the CLI's StructuredOutput tool; the CLI validates and sends the tool result back),
//   (c) lifeguard --driver claude-code, the same prompt without `response_format` (reference),
// all against the same fake Anthropic API on loopback answering after the same latency.
// Run: npx tsx bench/structured-output.ts [requests=20] [api latency ms=150]
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startLifeguard } from '../src/cli/start-lifeguard.js';
import { loadConfig } from '../src/config/load-config.js';
import { STREAM_JSON_ARGS } from '../src/drivers/claude-code/cli-flags.js';
import { silentLogger } from '../src/util/logger.js';
import { startFakeAnthropic, type FakeReply } from '../test/fixtures/fake-anthropic-api.js';
import { CLAUDE_CLI, claudeEnv } from '../test/support/claude-code.js';
import { quantiles } from './stats.js';

const requests = Number(process.argv[2] ?? 20);
const latencyMs = Number(process.argv[3] ?? 150);

const schema = {
  type: 'object',
  properties: {
    entities: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, type: { type: 'string' } }, required: ['name', 'type'], additionalProperties: false } },
  },
  required: ['entities'],
  additionalProperties: false,
};
const answerFor = (i: number) => ({ entities: [{ name: `Entity ${i}`, type: 'person' }] });
const prompts = Array.from({ length: requests }, (_, i) => `Extract the entities of text number ${i + 1}.`);
// The last text number in a conversation (the CLI sends its whole history).
const numberOf = (text: string) => Number([...text.matchAll(/text number (\d+)/g)].at(-1)?.[1] ?? 0);

// The fake model: the StructuredOutput tool when the CLI offers it (then "Done." after its result),
// else the JSON as text.
const hasToolResult = (body: Record<string, unknown>) => JSON.stringify((body.messages as unknown[]).at(-1)).includes('"tool_result"');
const offersStructuredOutput = (body: Record<string, unknown>) => Array.isArray(body.tools) && (body.tools as Array<{ name?: string }>).some((t) => t.name === 'StructuredOutput');
const api = await startFakeAnthropic({
  latencyMs,
  respond: (body): FakeReply | undefined => {
    const text = JSON.stringify(body.messages);
    if (hasToolResult(body)) return 'Done.';
    const i = numberOf(text);
    if (offersStructuredOutput(body)) return { tool: 'StructuredOutput', input: answerFor(i) };
    return text.includes('JSON Schema') ? JSON.stringify(answerFor(i)) : undefined;
  },
});
const env = { ...process.env, ...claudeEnv(api) };
const cwd = mkdtempSync(join(tmpdir(), 'lifeguard-bench-'));

async function viaLifeguard(withFormat: boolean): Promise<{ times: number[]; apiCalls: number }> {
  const config = loadConfig(
    ['--port', '0', '--driver', 'claude-code', '--turn-limit', '0', '--token-limit', '0', '--worker-cwd', cwd, '--lock-file', join(cwd, 'lock'), '--', 'env', ...Object.entries(claudeEnv(api)).map(([k, v]) => `${k}=${v}`), process.execPath, CLAUDE_CLI],
    {},
  );
  const lifeguard = await startLifeguard(config, silentLogger);
  try {
    while (!lifeguard.supervisor.snapshots()[0]!.snapshot.hasTag('accepting')) await new Promise((r) => setTimeout(r, 50));
    const times: number[] = [];
    let calls = 0;
    for (const prompt of ['Extract the entities of text number 0.', ...prompts]) {
      const before = api.requests.length;
      const began = performance.now();
      const response = await fetch(`${lifeguard.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'claude-sonnet-4-5',
          messages: [{ role: 'user', content: prompt }],
          ...(withFormat ? { response_format: { type: 'json_schema', json_schema: { name: 'entities', strict: true, schema } } } : {}),
        }),
      });
      const body = (await response.json()) as { choices: Array<{ message: { content: string } }> };
      const content = body.choices[0]!.message.content;
      if (withFormat && content !== JSON.stringify(answerFor(numberOf(prompt)))) throw new Error(`unexpected answer ${JSON.stringify(body)}`);
      if (prompt.endsWith(' 0.')) continue;
      times.push(performance.now() - began);
      calls += api.requests.length - before;
    }
    return { times, apiCalls: calls / times.length };
  } finally {
    await lifeguard.shutdown();
  }
}

async function viaJsonSchemaProcess(): Promise<{ times: number[]; apiCalls: number }> {
  const child = spawn(process.execPath, [CLAUDE_CLI, ...STREAM_JSON_ARGS, '--json-schema', JSON.stringify(schema)], { env, cwd, stdio: ['pipe', 'pipe', 'ignore'] });
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
  let calls = 0;
  for (const prompt of ['Extract the entities of text number 0.', ...prompts]) {
    const before = api.requests.length;
    const began = performance.now();
    const answered = next();
    child.stdin.write(`${JSON.stringify({ type: 'user', message: { role: 'user', content: prompt } })}\n`);
    const result = await answered;
    if (JSON.stringify(result.structured_output) !== JSON.stringify(answerFor(numberOf(prompt)))) throw new Error(`unexpected answer ${JSON.stringify(result).slice(0, 300)}`);
    if (prompt.endsWith(' 0.')) continue;
    times.push(performance.now() - began);
    calls += api.requests.length - before;
  }
  child.stdin.end();
  await new Promise((resolve) => child.once('exit', resolve));
  return { times, apiCalls: calls / times.length };
}

const runs = [
  ['(a) lifeguard --driver claude-code, `response_format` json_schema', await viaLifeguard(true)],
  ['(b) one persistent CLI with `--json-schema`, turns written straight in', await viaJsonSchemaProcess()],
  ['(c) lifeguard --driver claude-code, no `response_format`', await viaLifeguard(false)],
] as const;
await api.close();

const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
console.log(`bench/structured-output — ${requests} sequential requests each (after one warm-up), one schema, fake Anthropic API latency ${latencyMs} ms`);
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`);
console.log('');
console.log('| setup | API calls per request | median | p90 | min | max |');
console.log('|---|---|---|---|---|---|');
for (const [name, { times, apiCalls }] of runs) {
  const s = quantiles(times);
  console.log(`| ${name} | ${apiCalls.toFixed(1)} | ${fmt(s.median)} | ${fmt(s.p90)} | ${fmt(s.min)} | ${fmt(s.max)} |`);
}
