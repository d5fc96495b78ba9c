import { describe, expect, it } from 'vitest';
import { WORKER_STATES } from '../../src/observability/metrics.js';
import { parsePrometheus, valueOf } from '../support/prometheus.js';
import { gatewayPerTest, type Gateway } from '../support/start-gateway.js';

const startGateway = gatewayPerTest();

async function scrape(g: Gateway) {
  const response = await g.get('/metrics');
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  const samples = parsePrometheus(await response.text());
  // The state gauge is 1 for exactly one state per worker, every time.
  for (const worker of ['w1', 'w2'].slice(0, g.supervisor.workers.length)) {
    const states = samples.filter((s) => s.name === 'lifeguard_worker_state' && s.labels.worker === worker);
    expect(states.map((s) => s.labels.state).sort()).toEqual([...WORKER_STATES].sort());
    expect(states.filter((s) => s.value === 1)).toHaveLength(1);
  }
  return samples;
}

describe('GET /metrics', () => {
  it('parses as Prometheus text and its figures follow requests, a crash and a restart', async () => {
    const g = await startGateway({ flags: ['--workers', '2', '--max-rss-mb', '500'] });
    await g.waitForState('healthy', 'w1');
    await g.waitForState('healthy', 'w2');
    let samples = await scrape(g);
    expect(valueOf(samples, 'lifeguard_worker_state', { worker: 'w1', state: 'healthy' })).toBe(1);
    expect(valueOf(samples, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(valueOf(samples, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);

    const client = g.client();
    await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'one' }] });
    for await (const chunk of await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'two' }], stream: true })) void chunk;
    expect((await g.post('/v1/chat/completions', { messages: [] })).status).toBe(400);
    // The Responses and Messages APIs are counted like chat completions.
    expect((await g.post('/v1/responses', { input: 'three' })).status).toBe(200);
    const streamed = await g.post('/v1/messages', { max_tokens: 5, messages: [{ role: 'user', content: 'four' }], stream: true });
    expect(await streamed.text()).toContain('message_stop');
    samples = await scrape(g);
    expect(valueOf(samples, 'lifeguard_requests_total', { code: '200' })).toBe(4);
    expect(valueOf(samples, 'lifeguard_requests_total', { code: '400' })).toBe(1);
    expect(valueOf(samples, 'lifeguard_request_duration_seconds_count')).toBe(5);
    expect(valueOf(samples, 'lifeguard_queue_depth')).toBe(0);
    expect(valueOf(samples, 'lifeguard_in_flight')).toBe(0);
    const tokens = samples.filter((s) => s.name === 'lifeguard_context_tokens').reduce((n, s) => n + s.value, 0);
    expect(tokens).toBeGreaterThan(0);
    const ratio = samples.filter((s) => s.name === 'lifeguard_context_ratio').reduce((n, s) => Math.max(n, s.value), 0);
    expect(ratio).toBeGreaterThanOrEqual(0.1);
    expect(ratio).toBeLessThanOrEqual(0.2);
    await g.waitFor((s) => s.context.rssBytes !== null, 'w1');
    expect(valueOf(samples, 'lifeguard_worker_rss_bytes', { worker: 'w1' })).toBeGreaterThanOrEqual(0);

    process.kill(g.supervisor.pid('w1')!, 'SIGKILL');
    await g.waitFor((s) => s.matches('healthy') && s.context.run === 2, 'w1');
    await g.post('/admin/workers/w2/restart', {});
    await g.waitFor((s) => s.matches('healthy') && s.context.run === 2, 'w2');
    await g.waitFor((s) => s.context.rssBytes !== null, 'w1');
    samples = await scrape(g);
    expect(valueOf(samples, 'lifeguard_worker_exits_total', { worker: 'w1', class: 'crash' })).toBe(1);
    expect(valueOf(samples, 'lifeguard_restarts_total', { worker: 'w1', reason: 'crash' })).toBe(1);
    expect(valueOf(samples, 'lifeguard_worker_exits_total', { worker: 'w2', class: 'requested' })).toBe(1);
    expect(valueOf(samples, 'lifeguard_restarts_total', { worker: 'w2', reason: 'admin_restart' })).toBe(1);
    expect(valueOf(samples, 'lifeguard_worker_rss_bytes', { worker: 'w1' })).toBeGreaterThan(0);
  });
});
