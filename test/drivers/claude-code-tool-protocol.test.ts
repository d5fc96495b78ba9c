import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { FakeAnthropic } from '../fixtures/fake-anthropic-api.js';
import { CLAUDE_CLI, startClaudeFixture } from '../support/claude-code.js';
import { startGateway, type Gateway } from '../support/start-gateway.js';

type Json = Record<string, any>;

const TEE = fileURLToPath(new URL('../fixtures/tee-stdio.mjs', import.meta.url));
/** The control exchange of one client tool round with CLI 2.1.112, as recorded (UPDATE_PROTOCOL_FIXTURE=1 rewrites it). */
const FIXTURE = fileURLToPath(new URL('../fixtures/claude-code-tool-protocol.json', import.meta.url));

const running: Array<{ g: Gateway; api: FakeAnthropic }> = [];
afterEach(async () => {
  for (const { g, api } of running.splice(0)) {
    await g.shutdown();
    await api.close();
  }
});

// One stdin/stdout line → what kind of protocol step it is (ids and payloads left out); null: not a
// control step (stream events, assistant and user lines).
function stepOf(dir: 'in' | 'out', message: Json, methods: Map<string, string>): string | null {
  const from = dir === 'in' ? 'lifeguard→cli' : 'cli→lifeguard';
  if (message.type === 'control_request') {
    const request = message.request ?? {};
    const what = request.subtype === 'mcp_message' ? `mcp_message ${request.message?.method}` : String(request.subtype);
    methods.set(String(message.request_id), what);
    return `${from} request ${what}`;
  }
  if (message.type === 'control_response') {
    const response = message.response ?? {};
    return `${from} ${response.subtype} for ${methods.get(String(response.request_id)) ?? '?'}`;
  }
  if (message.type === 'user' && dir === 'in') return `${from} user line`;
  if (message.type === 'result') return `${from} result ${message.subtype}`;
  return null;
}

describe('the control protocol of a client tool round, recorded against the real CLI (a later CLI that changes it fails here)', () => {
  it('declares the server, answers the handshake and tools/list, allows the call, parks tools/call and answers it with the result', async () => {
    const fixture = await startClaudeFixture();
    const log = join(mkdtempSync(join(tmpdir(), 'lifeguard-protocol-')), 'exchange.jsonl');
    const g = await startGateway({
      flags: ['--driver', 'claude-code', '--model', 'claude-sonnet-4-5', '--worker-cwd', fixture.cwd, '--startup-timeout-ms', '20000', '--standby', '0'],
      workerCommand: [process.execPath, TEE, log, process.execPath, CLAUDE_CLI],
      workerEnv: fixture.env,
    });
    running.push({ g, api: fixture.api });
    await g.waitFor((s) => s.hasTag('accepting'), 'w1', 30_000);
    fixture.api.reply({ calls: [{ name: 'get_weather', input: { city: 'Paris' } }] }, 'Sunny.');
    const tools = [{ type: 'function' as const, function: { name: 'get_weather', description: 'The weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
    const messages: Json[] = [{ role: 'user', content: 'Weather?' }];
    const first = await g.client().chat.completions.create({ model: 'm', messages: messages as never, tools });
    messages.push(first.choices[0]!.message, { role: 'tool', tool_call_id: 'toolu_fake_1', content: 'sunny' });
    const second = await g.client().chat.completions.create({ model: 'm', messages: messages as never, tools });
    expect(second.choices[0]!.message.content).toBe('Sunny.');

    const lines = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { dir: 'in' | 'out'; line: string });
    const methods = new Map<string, string>();
    const parsed = lines.map(({ dir, line }) => ({ dir, message: JSON.parse(line) as Json }));
    // The handshake may come twice (CLI 2.1.112): each step counts once, in the order first seen.
    const steps = [...new Set(parsed.map(({ dir, message }) => stepOf(dir, message, methods)).filter((s): s is string => s !== null))];
    if (process.env.UPDATE_PROTOCOL_FIXTURE) writeFileSync(FIXTURE, `${JSON.stringify(steps, null, 2)}\n`);
    expect(steps).toEqual(JSON.parse(readFileSync(FIXTURE, 'utf8')));

    // The facts the bridge relies on, beyond the order of steps.
    const cli = parsed.filter((p) => p.dir === 'out' && p.message.type === 'control_request').map((p) => p.message.request as Json);
    const call = cli.find((r) => r.message?.method === 'tools/call')!;
    expect(call).toMatchObject({ server_name: 'lg_1', message: { params: { name: 'get_weather', arguments: { city: 'Paris' }, _meta: { 'claudecode/toolUseId': 'toolu_fake_1' } } } });
    expect(cli.find((r) => r.subtype === 'can_use_tool')).toMatchObject({ tool_name: 'get_weather', tool_use_id: 'toolu_fake_1', input: { city: 'Paris' } });
    const init = parsed.find((p) => p.dir === 'out' && p.message.type === 'system' && p.message.subtype === 'init')!.message;
    expect(init.tools).toEqual(['get_weather']);
    const answer = parsed.find((p) => p.dir === 'in' && p.message.response?.request_id === parsed.find((q) => q.message.request?.message?.method === 'tools/call')!.message.request_id)!;
    expect(answer.message.response.response.mcp_response).toEqual({ jsonrpc: '2.0', id: call.message.id, result: { content: [{ type: 'text', text: 'sunny' }], isError: false } });
  }, 90_000);
});
