import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeAnthropic } from '../test/fixtures/fake-anthropic-api.ts';
const api = await startFakeAnthropic({ deltaDelayMs: 300 });
const home = mkdtempSync(join(tmpdir(), 'cc-home-'));
const child = spawn(process.execPath, ['/work/main/node_modules/@anthropic-ai/claude-code/cli.js', '-p', '--input-format', 'stream-json', '--output-format', 'stream-json', '--verbose', '--include-partial-messages'], {
  env: { ...process.env, HOME: home, ANTHROPIC_BASE_URL: api.url, ANTHROPIC_API_KEY: 'dummy', DISABLE_TELEMETRY: '1', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', DISABLE_AUTOUPDATER: '1', DISABLE_ERROR_REPORTING: '1' },
  stdio: ['pipe', 'pipe', 'pipe'], cwd: home,
});
const t0 = Date.now();
child.stdout.on('data', (d) => { for (const l of String(d).split('\n').filter(Boolean)) { const m = JSON.parse(l); console.log(Date.now() - t0, m.type, m.subtype ?? m.event?.type ?? '', m.type === 'result' ? JSON.stringify({ r: m.result, e: m.is_error, s: m.subtype, u: m.usage?.input_tokens }) : m.type === 'control_response' ? JSON.stringify(m.response).slice(0, 150) : ''); } });
child.stderr.on('data', (d) => console.log('ERR', String(d).slice(0, 300)));
child.on('exit', (c, s) => console.log('EXIT', c, s));
child.stdin.write(JSON.stringify({ type: 'control_request', request_id: 'init1', request: { subtype: 'initialize' } }) + '\n');
await new Promise((r) => setTimeout(r, 1500));
child.stdin.write(JSON.stringify({ type: 'control_request', request_id: 'mcp1', request: { subtype: 'mcp_status' } }) + '\n');
child.stdin.write(JSON.stringify({ type: 'user', message: { role: 'user', content: 'one two three four five six seven' } }) + '\n');
await new Promise((r) => setTimeout(r, 900));
child.stdin.write(JSON.stringify({ type: 'control_request', request_id: 'int1', request: { subtype: 'interrupt' } }) + '\n');
await new Promise((r) => setTimeout(r, 1000));
api.setDelay(0);
child.stdin.write(JSON.stringify({ type: 'user', message: { role: 'user', content: 'after interrupt' } }) + '\n');
await new Promise((r) => setTimeout(r, 2000));
child.stdin.end();
await new Promise((r) => setTimeout(r, 1500));
child.kill('SIGKILL');
await api.close();
