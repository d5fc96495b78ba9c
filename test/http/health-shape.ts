import { expect } from 'vitest';

const number = expect.any(Number);

// docs/http-api.md: fields may be added, never renamed.
export function expectHealthShape(body: unknown, status: string) {
  expect(body).toMatchObject({
    status,
    invoker_connected: expect.any(Boolean),
    memory: { rss_mb: number, worker_rss_mb: number },
    context_usage: { tokens: number, turns: number, token_limit: number, turn_limit: number, token_pct: number, turn_pct: number },
    stats: {
      restart_count: number,
      crash_count: number,
      recovery_attempts: number,
      total_requests: number,
      total_errors: number,
      queue_depth: number,
      in_flight: number,
      uptime_s: number,
    },
    workers: [expect.objectContaining({ id: 'w1', status, restart_count: number, context_usage: expect.any(Object) })],
  });
  const { message } = body as { message: unknown };
  expect(message === null || typeof message === 'string').toBe(true);
}
