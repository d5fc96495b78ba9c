import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { AnswerEvent, ContextReport } from '../../../src/drivers/driver.js';
import { createJsonlDriver } from '../../../src/drivers/jsonl/jsonl-driver.js';
import type { WorkerProcess } from '../../../src/process/worker-process.js';
import { Cancellation } from '../../../src/util/cancellation.js';
import { silentLogger } from '../../../src/util/logger.js';

// A jsonl session over a fake process: the test writes the worker's stdout and reads its stdin.
function session() {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const process: WorkerProcess = {
    pid: 4242,
    stdin,
    stdout,
    stderr: new PassThrough(),
    startedAt: 0,
    exited: new Promise(() => undefined),
    hasExited: () => false,
    markRequested: () => undefined,
    isRequested: () => false,
  };
  const reports: ContextReport[] = [];
  const driver = createJsonlDriver({ spawn: { command: 'unused', args: [] }, maxLineBytes: 64 * 1024 });
  const attached = driver.attach(process, { ready: () => undefined, activity: () => undefined, context: (report) => reports.push(report), logger: silentLogger, workerId: 'w1' }, { command: 'unused', args: [] });
  const written: string[] = [];
  const writes: string[] = [];
  stdin.on('data', (chunk: Buffer) => {
    writes.push(chunk.toString());
    written.push(...chunk.toString().split('\n').filter(Boolean));
  });
  /** One read of the worker's stdout holding these lines. */
  const say = (...lines: object[]) => stdout.write(lines.map((line) => `${JSON.stringify(line)}\n`).join(''));
  return { attached, reports, written, writes, say };
}

async function collect(events: AsyncIterable<AnswerEvent>): Promise<AnswerEvent[]> {
  const seen: AnswerEvent[] = [];
  for await (const event of events) seen.push(event);
  return seen;
}

const done = (id: string, turns: number) => ({ type: 'done', id, finish_reason: 'stop', usage: { prompt_tokens: 1, completion_tokens: 2 }, context: { tokens: 10 * turns, turns } });

describe('jsonl driver: what one read of the worker becomes', () => {
  it('a whole answer’s text deltas of one read are one event; a stream keeps each delta', async () => {
    const s = session();
    const whole = collect(s.attached.answer('r1', { messages: [{ role: 'user', content: 'hi' }] }, new Cancellation()));
    const streamed = collect(s.attached.answer('r2', { messages: [{ role: 'user', content: 'hi' }], stream: true }, new Cancellation()));
    const words = ['Echo: ', 'one ', 'two'];
    s.say(...words.map((content) => ({ type: 'delta', id: 'r1', content })), ...words.map((content) => ({ type: 'delta', id: 'r2', content })), done('r1', 1), done('r2', 2));
    expect((await whole).map((e) => e.type)).toEqual(['delta', 'done']);
    expect((await whole)[0]).toEqual({ type: 'delta', content: 'Echo: one two' });
    expect((await streamed).filter((e) => e.type === 'delta').map((e) => (e as { content: string }).content)).toEqual(words);
  });

  it('a tool call between texts keeps its place', async () => {
    const s = session();
    const answer = collect(s.attached.answer('r1', { messages: [{ role: 'user', content: 'hi' }] }, new Cancellation()));
    s.say(
      { type: 'delta', id: 'r1', content: 'a' },
      { type: 'delta', id: 'r1', content: 'b' },
      { type: 'delta', id: 'r1', tool_calls: [{ index: 0, id: 'call_1', function: { name: 'f', arguments: '{}' } }] },
      { type: 'delta', id: 'r1', content: 'c' },
      done('r1', 1),
    );
    expect((await answer).map((e) => (e.type === 'delta' ? `delta:${e.content}` : e.type))).toEqual(['delta:ab', 'tool_call', 'delta:c', 'done']);
  });

  it('the context reports of one read reach the runtime once, the latest, before any answer is seen', async () => {
    const s = session();
    const first = s.attached.answer('r1', { messages: [{ role: 'user', content: 'a' }] }, new Cancellation())[Symbol.asyncIterator]();
    const second = s.attached.answer('r2', { messages: [{ role: 'user', content: 'b' }] }, new Cancellation())[Symbol.asyncIterator]();
    const reportsWhenSeen: number[] = [];
    const read = async (iterator: AsyncIterator<AnswerEvent>) => {
      for (let result = await iterator.next(); !result.done; result = await iterator.next()) reportsWhenSeen.push(s.reports.length);
    };
    const reading = Promise.all([read(first), read(second)]);
    s.say({ type: 'delta', id: 'r1', content: 'x' }, done('r1', 1), { type: 'delta', id: 'r2', content: 'y' }, done('r2', 2));
    await reading;
    expect(s.reports).toEqual([{ tokens: 20, turns: 2 }]);
    expect(reportsWhenSeen.every((count) => count === 1)).toBe(true);
  });

  it('requests asked in one turn of the event loop reach the worker as one write, in order', async () => {
    const s = session();
    for (const id of ['r1', 'r2', 'r3']) void collect(s.attached.answer(id, { messages: [{ role: 'user', content: id }] }, new Cancellation())).catch(() => undefined);
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(s.written.map((line) => (JSON.parse(line) as { id: string }).id)).toEqual(['r1', 'r2', 'r3']);
    expect(s.writes).toHaveLength(1);
    s.attached.close('test over');
  });
});
