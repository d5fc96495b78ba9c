import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeAnthropic } from '../test/fixtures/fake-anthropic-api.ts';
const api = await startFakeAnthropic();
const home = mkdtempSync(join(tmpdir(), 'cc-home-'));
const child = spawn(process.execPath, ['node_modules/@anthropic-ai/claude-code/cli.js', '-p', '--input-format', 'stream-json', '--output-format', 'stream-json', '--verbose', '--include-partial-messages', '--model', 'claude-sonnet-4-5'], {
  env: { ...process.env, HOME: home, ANTHROPIC_BASE_URL: api.url, ANTHROPIC_API_KEY: 'dummy', DISABLE_TELEMETRY: '1', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', DISABLE_AUTOUPDATER: '1', DISABLE_ERROR_REPORTING: '1' },
  stdio: ['pipe', 'pipe', 'pipe'],
});
const t0 = Date.now();
child.stdout.on('data', (d) => { for (const l of String(d).split('\n').filter(Boolean)) { const m = JSON.parse(l); if (m.type === 'result') console.log('RESULT', l); else if (m.type === 'control_response') console.log('INIT', JSON.stringify(Object.keys(m.response.response)), JSON.stringify(m.response.response.models).slice(0, 700)); else console.log(Date.now() - t0, m.type, m.subtype ?? m.event?.type ?? ''); }; });
child.stderr.on('data', (d) => console.log('ERR', String(d).slice(0, 300)));
child.stdin.write(JSON.stringify({ type: 'control_request', request_id: 'init1', request: { subtype: 'initialize' } }) + '\n');
await new Promise((r) => setTimeout(r, 3000));
child.stdin.write(JSON.stringify({ type: 'user', message: { role: 'user', content: 'hello there' } }) + '\n');
await new Promise((r) => setTimeout(r, 4000));
child.stdin.write(JSON.stringify({ type: 'user', message: { role: 'user', content: 'second turn' } }) + '\n');
await new Promise((r) => setTimeout(r, 3000));
console.log('requests', api.requests.length, api.requests.map((r) => r.model + ' ' + String(r.stream) + ' ' + JSON.stringify(r.messages).length));
child.kill('SIGTERM');
await api.close();
