// A minimal proxy that spawns the Claude Code CLI per request (the way claude-max-api-proxy and similar
// wrappers work): POST /v1/chat/completions folds the messages into one prompt (as lifeguard's driver
// does), runs `claude -p <prompt> --output-format json` to its end, and answers with its result. No
// pool, no reuse: every request pays a cold start. It starts the CLI with the same quiet-start
// environment and flags as lifeguard's driver, so bench/warm-comparison compares warm against cold,
// not one start-up against another. The CLI's environment (HOME, ANTHROPIC_BASE_URL, …) is this
// process's own. Run: node --import tsx bench/spawn-per-request.ts [path to cli.js]  (prints "listening <port>")
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { foldMessages } from '../src/drivers/claude-code/fold-messages.js';
import { quietStartArgs, quietStartEnv } from '../src/drivers/claude-code/quiet-start.js';

const cli = process.argv[2] ?? new URL('../node_modules/@anthropic-ai/claude-code/cli.js', import.meta.url).pathname;

function runCli(prompt: string, model: string): Promise<{ text: string; usage: Record<string, number> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, '-p', prompt, '--output-format', 'json', '--model', model, ...quietStartArgs([])], {
      env: { ...process.env, ...quietStartEnv(process.env) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      try {
        const result = JSON.parse(Buffer.concat(out).toString()) as { result?: string; is_error?: boolean; usage?: Record<string, number> };
        if (code !== 0 || result.is_error) throw new Error(`claude exited ${code}: ${result.result ?? ''} ${Buffer.concat(err).toString().slice(0, 300)}`);
        resolve({ text: String(result.result ?? ''), usage: result.usage ?? {} });
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  });
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as { model?: string; messages?: Parameters<typeof foldMessages>[0] };
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions' || !Array.isArray(body.messages)) {
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'POST /v1/chat/completions with messages' } }));
      return;
    }
    runCli(foldMessages(body.messages), body.model ?? 'claude-sonnet-4-5').then(
      ({ text, usage }) =>
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({ object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }], usage }),
        ),
      (error: Error) => res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: error.message } })),
    );
  });
});
server.listen(0, '127.0.0.1', () => console.log(`listening ${(server.address() as AddressInfo).port}`));
process.on('SIGTERM', () => {
  server.close();
  process.exit(0);
});
