import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../fixtures/otlp-receiver.js';
import { fixture } from '../support/drivers.js';
import { spawnLifeguard, tempLockFile, type SpawnedLifeguard } from '../support/spawn-lifeguard.js';

const started: SpawnedLifeguard[] = [];
const receivers: OtlpReceiver[] = [];
afterEach(async () => {
  for (const lifeguard of started.splice(0)) {
    if (lifeguard.child.exitCode === null && lifeguard.child.signalCode === null) {
      lifeguard.child.kill('SIGKILL');
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
  const lifeguard = spawnLifeguard(['--port', '0', '--lock-file', tempLockFile(), ...flags], workerEnv, { ...OTEL_ENV, ...env });
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
    });
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
});
