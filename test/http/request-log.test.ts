import { describe, expect, it } from 'vitest';
import { gatewayPerTest, type Gateway } from '../support/start-gateway.js';

const start = gatewayPerTest();

// pino's numeric levels: what a log pipeline's "level >= warn" filter compares.
const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;
type Line = { ts: string; level: keyof typeof LEVELS; marker: string; msg: string; [field: string]: unknown };

const parsed = (gateway: Gateway): Line[] => gateway.logs.join('').trim().split('\n').map((line) => JSON.parse(line) as Line);
const atLeast = (lines: Line[], level: keyof typeof LEVELS) => lines.filter((line) => LEVELS[line.level] >= LEVELS[level]);

// Bounded wait for a log line (the lines come from the gateway's own events).
async function lineMatching(gateway: Gateway, predicate: (line: Line) => boolean): Promise<Line> {
  for (let attempt = 0; attempt < 400; attempt++) {
    const found = parsed(gateway).find(predicate);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`no such log line in:\n${gateway.logs.join('')}`);
}

const chat = (gateway: Gateway, content: string, stream = false, signal?: AbortSignal) =>
  fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'lifeguard-reference', stream, messages: [{ role: 'user', content }] }),
    ...(signal ? { signal } : {}),
  });

describe('JSON logs with standard levels', () => {
  it('[DONE] carries the request id, status, model, worker and duration, at level info', async () => {
    const gateway = await start({ flags: ['--log-format', 'json'] });
    await gateway.waitForState('healthy');
    const response = await chat(gateway, 'hello');
    expect(response.status).toBe(200);
    const done = await lineMatching(gateway, (l) => l.marker === 'DONE');
    expect(done).toMatchObject({ level: 'info', request_id: response.headers.get('x-request-id'), status: 200, model: 'lifeguard-reference', worker: 'w1' });
    expect(done.duration_ms).toEqual(expect.any(Number));
    expect(done.msg).toMatch(/^\d+\.\ds \| ctx=\d+\/150000 turns=1\/10$/);
  });

  it('a level filter keeps a crash and drops a client that went away (info, status 499)', async () => {
    const gateway = await start({ flags: ['--log-format', 'json'] });
    await gateway.waitForState('healthy');

    const controller = new AbortController();
    const leaving = await chat(gateway, '[[slow:500]] one two three four', true, controller.signal);
    await leaving.body!.getReader().read();
    controller.abort();
    const gone = await lineMatching(gateway, (l) => l.status === 499);
    expect(gone).toMatchObject({ level: 'info', marker: 'DONE', worker: 'w1', request_id: leaving.headers.get('x-request-id') });
    expect(gone.msg).toContain('client went away');

    const crashing = await chat(gateway, '[[crash-mid:3]] answer', true);
    await crashing.text();
    await lineMatching(gateway, (l) => l.marker === 'RECOVERY');

    const lines = parsed(gateway);
    for (const line of lines) expect(Object.keys(LEVELS)).toContain(line.level);
    const serious = atLeast(lines, 'warn');
    expect(serious.some((l) => l.level === 'error' && /exited code=3/.test(l.msg))).toBe(true);
    expect(serious.some((l) => l.marker === 'RECOVERY' && l.level === 'warn')).toBe(true);
    expect(serious.filter((l) => l.status === 499 || /client/.test(l.msg))).toEqual([]);
    expect(atLeast(lines, 'info').length).toBeGreaterThan(serious.length);
  });
});
