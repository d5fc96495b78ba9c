// The part both reference forwarders share: one reference worker spawned, each request written to it
// as one jsonl line, its deltas gathered (or passed on, for a stream) until `done`. No checks, no
// queue, no timeouts: the limit lifeguard is measured against.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { referenceWorkerPath } from '../src/reference-worker.js';

export interface ForwardedAnswer {
  content: string;
  done: Record<string, any>;
}

export function startJsonlLink(): { forward(id: string, body: unknown, onDelta?: (content: string) => void): Promise<ForwardedAnswer>; stop(): void } {
  const worker = spawn(process.execPath, [referenceWorkerPath()], { stdio: ['pipe', 'pipe', 'inherit'], env: process.env });
  const pending = new Map<string, { content: string; onDelta: ((content: string) => void) | undefined; finish: (answer: ForwardedAnswer) => void }>();
  createInterface({ input: worker.stdout }).on('line', (line) => {
    const message = JSON.parse(line) as Record<string, any>;
    const entry = pending.get(message.id);
    if (!entry) return;
    if (message.type === 'delta') {
      entry.content += message.content;
      entry.onDelta?.(message.content);
    }
    if (message.type === 'done') {
      pending.delete(message.id);
      entry.finish({ content: entry.content, done: message });
    }
  });
  return {
    forward: (id, body, onDelta) =>
      new Promise((finish) => {
        pending.set(id, { content: '', onDelta, finish });
        worker.stdin.write(`${JSON.stringify({ type: 'request', id, body })}\n`);
      }),
    stop: () => worker.kill('SIGKILL'),
  };
}

/** The chat completion both forwarders answer with. */
export const completion = (id: string, answer: ForwardedAnswer) => ({
  id,
  object: 'chat.completion',
  created: 0,
  model: 'lifeguard-reference',
  choices: [{ index: 0, message: { role: 'assistant', content: answer.content }, finish_reason: answer.done.finish_reason }],
  usage: answer.done.usage,
});

/** One streamed delta as both forwarders send it (the data of an SSE event). */
export const chunk = (id: string, content: string) =>
  JSON.stringify({ id, object: 'chat.completion.chunk', created: 0, model: 'lifeguard-reference', choices: [{ index: 0, delta: { content }, finish_reason: null }] });
