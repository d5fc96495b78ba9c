import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../../fixtures/otlp-receiver.js';
import { fixture } from '../../support/drivers.js';
import { spawnLifeguard, tempLockFile, type SpawnedLifeguard } from '../../support/spawn-lifeguard.js';

const started: SpawnedLifeguard[] = [];
const receivers: OtlpReceiver[] = [];
// SIGTERM: lifeguard stops its worker tree (a model server does not end with its stdin, as a jsonl worker does).
afterEach(async () => {
  for (const lifeguard of started.splice(0)) {
    if (lifeguard.child.exitCode === null && lifeguard.child.signalCode === null) {
      lifeguard.child.kill('SIGTERM');
      await lifeguard.exited;
    }
  }
  for (const receiver of receivers.splice(0)) await receiver.close();
});

// Spans leave lifeguard in batches every 50 ms; OTEL_* variables of the test's own environment are
// cleared so that only what a test sets decides.
const OTEL_ENV = { OTEL_BSP_SCHEDULE_DELAY: '50', OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '', OTEL_SDK_DISABLED: '', OTEL_TRACES_EXPORTER: '' };

async function receiver() {
  const started = await startOtlpReceiver();
  receivers.push(started);
  return started;
}

function run(flags: string[], workerEnv: Record<string, string> = {}, env: Record<string, string> = {}) {
  const lifeguard = spawnLifeguard(['--port', '0', '--lock-file', tempLockFile(), ...flags], workerEnv, { env: { ...OTEL_ENV, ...env } });
  started.push(lifeguard);
  return lifeguard;
}

const chat = (url: string, content: string, init: { stream?: boolean; headers?: Record<string, string>; signal?: AbortSignal } = {}) =>
  fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...init.headers },
    body: JSON.stringify({ model: 'lifeguard-reference', stream: init.stream ?? false, messages: [{ role: 'user', content }] }),
    ...(init.signal ? { signal: init.signal } : {}),
  });

// Polls /health (bounded) until `ready` holds.
async function healthUntil(url: string, ready: (health: any) => boolean, what: string): Promise<any> {
  for (let attempt = 0; attempt < 400; attempt++) {
    const health = await (await fetch(`${url}/health`)).json();
    if (ready(health)) return health;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`never saw ${what}`);
}

const eventNames = (span: ReceivedSpan) => span.events.map((e) => e.name);
const byStart = (a: ReceivedSpan, b: ReceivedSpan) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0);
const CLIENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';

describe('tracing (OpenTelemetry over OTLP/HTTP)', () => {
  it("a request's span continues the client's traceparent and carries the GenAI attributes and its steps as events", async () => {
    const otlp = await receiver();
    const lifeguard = run(['--otel-endpoint', otlp.url], { REF_WORKER_CONCURRENCY: '1' });
    const url = await lifeguard.listening;
    await healthUntil(url, (h) => h.status === 'healthy', 'a healthy worker');

    // A long stream holds the only slot; a second request queues behind it; the first client leaves.
    const leaving = new AbortController();
    const first = await chat(url, `[[slow:200]] ${'word '.repeat(40)}`, { stream: true, signal: leaving.signal });
    const reader = first.body!.getReader();
    await reader.read();
    const second = chat(url, 'hello traces', { headers: { traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01` } });
    await healthUntil(url, (h) => h.stats.queue_depth === 1, 'the second request queued');
    leaving.abort();
    await reader.cancel().catch(() => undefined);
    const answer = await second;
    expect(answer.status).toBe(200);
    const usage = ((await answer.json()) as { usage: { prompt_tokens: number; completion_tokens: number } }).usage;

    const traced = await otlp.waitFor((spans) => spans.find((s) => s.name === 'chat.completions' && s.traceId === CLIENT_TRACE));
    expect(traced.parentSpanId).toBe(CLIENT_SPAN);
    expect(traced.kind).toBe(2); // SPAN_KIND_SERVER
    expect(traced.resource['service.name']).toBe('lifeguard');
    expect(traced.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'lifeguard-reference',
      'gen_ai.usage.input_tokens': usage.prompt_tokens,
      'gen_ai.usage.output_tokens': usage.completion_tokens,
      'gen_ai.response.finish_reasons': ['stop'],
      'worker.name': 'w1',
      'worker.run': 1,
      'lifeguard.request.stream': false,
      'http.response.status_code': 200,
      'lifeguard.conversation.route': 'new',
    });
    expect(traced.attributes['lifeguard.queue.wait_ms']).toBeGreaterThan(0);
    expect(traced.status.code).toBe(0);
    expect(eventNames(traced)).toEqual(['queued', 'dispatched', 'first_byte']);
    const times = traced.events.map((e) => e.timeNs);
    expect([...times].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(times);

    // The client that left: its own trace, a stream, the client.gone event.
    const gone = await otlp.waitFor((spans) => spans.find((s) => s.name === 'chat.completions' && eventNames(s).includes('client.gone')));
    expect(gone.traceId).not.toBe(CLIENT_TRACE);
    expect(gone.parentSpanId).toBe('');
    expect(gone.attributes['lifeguard.request.stream']).toBe(true);
    expect(eventNames(gone).slice(0, 3)).toEqual(['dispatched', 'first_byte', 'client.gone']);
  });

  it('a failed request shows its crash, its re-dispatch and the error it ended with', async () => {
    const otlp = await receiver();
    const lifeguard = run(['--otel-endpoint', otlp.url, '--backoff-base-ms', '50']);
    const url = await lifeguard.listening;
    await healthUntil(url, (h) => h.status === 'healthy', 'a healthy worker');
    const answer = await chat(url, '[[crash:3]] a poison request');
    expect(answer.status).toBe(502);

    const failed = await otlp.waitFor((spans) => spans.find((s) => s.name === 'chat.completions'));
    expect(failed.status.code).toBe(2); // STATUS_CODE_ERROR
    expect(failed.attributes).toMatchObject({ 'http.response.status_code': 502, 'error.type': 'worker_crashed', 'worker.name': 'w1', 'worker.run': 2 });
    // The re-dispatch waits (queued) for the worker's next run.
    expect(eventNames(failed)).toEqual(['dispatched', 'exception', 're-dispatched', 'queued', 'dispatched', 'exception', 'exception']);
    expect(failed.events[2]!.attributes).toEqual({ 'worker.name': 'w1', 'worker.run': 1 });
  });

  it('a crash → backoff → healthy recovery is one worker.recovery span with its steps as children, in order', async () => {
    const otlp = await receiver();
    const lifeguard = run(['--otel-endpoint', otlp.url, '--backoff-base-ms', '100']);
    const url = await lifeguard.listening;
    const health = await healthUntil(url, (h) => h.status === 'healthy' && h.workers[0].pid, 'a healthy worker');
    process.kill(health.workers[0].pid, 'SIGKILL');
    await healthUntil(url, (h) => h.status === 'healthy' && h.workers[0].pid !== health.workers[0].pid, 'the worker recovered');

    const recovery = await otlp.waitFor((spans) => spans.find((s) => s.name === 'worker.recovery'));
    expect(recovery.parentSpanId).toBe('');
    expect(recovery.status.code).toBe(0);
    expect(recovery.attributes).toMatchObject({
      'worker.name': 'w1',
      'recovery.type': 'crash',
      'worker.restart.reason': 'crash',
      'worker.outcome': 'healthy',
      'worker.attempts': 1,
      'worker.run': 1,
    });
    expect(recovery.attributes['worker.recovery.backoff_ms']).toBeGreaterThanOrEqual(100);
    expect(recovery.attributes['worker.restart.cold_start_ms']).toBeGreaterThan(0);
    const exited = recovery.events.find((e) => e.name === 'worker.exited');
    expect(exited?.attributes).toMatchObject({ 'worker.exit.class': 'crash', 'worker.exit.signal': 'SIGKILL' });

    const children = await otlp.waitFor((spans) => {
      const found = spans.filter((s) => s.parentSpanId === recovery.spanId);
      return found.length === 3 ? found.sort(byStart) : undefined;
    });
    expect(children.map((s) => s.name)).toEqual(['worker.stop', 'worker.backoff', 'worker.attempt']);
    for (const child of children) expect(child.traceId).toBe(recovery.traceId);
    for (const [index, child] of children.entries()) {
      expect(child.startNs).toBeGreaterThanOrEqual(recovery.startNs);
      expect(child.endNs).toBeLessThanOrEqual(recovery.endNs);
      if (index > 0) expect(child.startNs).toBeGreaterThanOrEqual(children[index - 1]!.endNs);
    }
    const [, backoff, attempt] = children;
    expect(backoff!.attributes).toMatchObject({ 'worker.consecutive_failures': 1 });
    expect(backoff!.attributes['worker.backoff_ms']).toBeGreaterThanOrEqual(100);
    expect(attempt!.attributes).toMatchObject({ 'worker.attempt': 1, 'worker.run': 2, 'worker.attempt.outcome': 'healthy' });
    expect(eventNames(attempt!)).toEqual(['spawned', 'ready']);
  });

  it("passes the request's trace on to an openai-http model server as traceparent", async () => {
    const otlp = await receiver();
    const lifeguard = run(['--otel-endpoint', otlp.url, '--driver', 'openai-http', '--', process.execPath, fixture('fake-openai-server.mjs'), '--port', '{port}']);
    const url = await lifeguard.listening;
    await healthUntil(url, (h) => h.status === 'healthy', 'a healthy model server');
    const answer = await chat(url, '[[traceparent]]', { stream: true, headers: { traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01` } });
    const text = await answer.text();
    const span = await otlp.waitFor((spans) => spans.find((s) => s.name === 'chat.completions'));
    expect(span.traceId).toBe(CLIENT_TRACE);
    expect(span.attributes['lifeguard.request.stream']).toBe(true);
    // The upstream call's parent is lifeguard's request span, in the client's trace.
    const upstream = text.match(/traceparent=([^"\s]*)/g)?.join('') ?? '';
    expect(upstream).toContain(`00-${CLIENT_TRACE}-${span.spanId}-01`);
  });

  it('when tracing is off no SDK module is loaded; when on, the SDK and the exporter are', async () => {
    const modules = async (env: Record<string, string>, flags: string[] = []) => {
      const log = join(mkdtempSync(join(tmpdir(), 'lifeguard-imports-')), 'imports.log');
      const lifeguard = run(flags, {}, { ...env, NODE_OPTIONS: `--import=${fixture('import-spy.mjs')}`, IMPORT_SPY_LOG: log });
      const url = await lifeguard.listening;
      await healthUntil(url, (h) => h.status === 'healthy', 'a healthy worker');
      expect((await chat(url, 'hello')).status).toBe(200);
      lifeguard.child.kill('SIGTERM');
      await lifeguard.exited;
      return readFileSync(log, 'utf8');
    };
    const sdkModule = /@opentelemetry\/(sdk-|exporter-|otlp-|resources|core|context-async-hooks)/;
    const off = await modules({});
    expect(off).toMatch(/node_modules\/hono\//); // the spy sees lifeguard's imports
    expect(off).not.toMatch(sdkModule);
    const disabled = await modules({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_SDK_DISABLED: 'true' });
    expect(disabled).not.toMatch(sdkModule);
    const otlp = await receiver();
    const on = await modules({ OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url });
    expect(on).toMatch(/@opentelemetry\/sdk-trace-base\//);
    expect(on).toMatch(/@opentelemetry\/exporter-trace-otlp-http\//);
    // Shutdown flushes what is still buffered.
    expect(otlp.spans.some((s) => s.name === 'chat.completions')).toBe(true);
  });
});
