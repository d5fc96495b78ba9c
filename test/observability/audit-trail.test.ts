import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixture } from '../support/drivers.js';
import { gatewayPerTest } from '../support/start-gateway.js';

const startGateway = gatewayPerTest();

const auditPath = () => join(mkdtempSync(join(tmpdir(), 'lifeguard-audit-')), 'audit.jsonl');
const readAudit = (path: string) =>
  readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('--audit-file', () => {
  it('holds the expected sequence for a crash and its recovery, one JSON object per line', async () => {
    const path = auditPath();
    const g = await startGateway({ flags: ['--audit-file', path] });
    await g.waitForState('healthy');
    const firstPid = g.supervisor.pid('w1')!;
    process.kill(firstPid, 'SIGKILL');
    await g.waitFor((s) => s.matches('healthy') && s.context.run === 2);
    const secondPid = g.supervisor.pid('w1')!;
    await g.shutdown();
    const records = readAudit(path);
    for (const record of records) {
      expect(record).toMatchObject({ ts: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), worker: 'w1' });
      for (const key of Object.keys(record)) expect(key).toMatch(/^[a-z]+(_[a-z]+)*$/);
    }
    const summary = records.map((r) =>
      r.event === 'transition' ? `transition ${r.from}→${r.to} (${r.reason})` : r.event === 'worker_exited' ? `worker_exited ${r.class}` : String(r.event),
    );
    expect(summary).toEqual([
      'worker_spawned',
      'transition null→starting (start)',
      'worker_ready',
      'transition starting→healthy (verified)',
      'worker_exited crash',
      'transition healthy→restarting (crash)',
      'backoff',
      'transition restarting→recovering (crash)',
      'worker_spawned',
      'transition recovering→starting (backoff_elapsed)',
      'worker_ready',
      'transition starting→healthy (verified)',
      'transition healthy→stopped (stop)',
    ]);
    expect(records[0]).toMatchObject({ event: 'worker_spawned', pid: firstPid, run: 1 });
    expect(records[4]).toMatchObject({ event: 'worker_exited', code: null, signal: 'SIGKILL', class: 'crash', crash_count: 1, run_duration_ms: expect.any(Number) });
    expect(records[6]).toMatchObject({ event: 'backoff', ms: expect.any(Number), reason: 'crash' });
    expect(records[8]).toMatchObject({ event: 'worker_spawned', pid: secondPid, run: 2 });
  });

  it('records health_warn and offline', async () => {
    const path = auditPath();
    const g = await startGateway({
      flags: ['--audit-file', path, '--max-consecutive-failures', '1'],
      workerCommand: ['/nonexistent/worker'],
    });
    await g.waitForState('offline');
    await g.shutdown();
    const records = readAudit(path);
    expect(records.find((r) => r.event === 'offline')).toMatchObject({ reason: '2 consecutive failures (last: crash)' });
    // The test harness starts workers through env(1), which exits 127 for a missing program.
    expect(records.filter((r) => r.event === 'worker_exited')[0]).toMatchObject({ class: 'crash', code: 127 });

    const warnPath = auditPath();
    const looping = await startGateway({
      flags: ['--audit-file', warnPath, '--clean-restart-budget', '1'],
      workerCommand: [process.execPath, fixture('exit-after-ready.mjs')],
      workerEnv: { EXIT_CODE: '0', EXIT_AFTER_MS: '30' },
    });
    await looping.waitForState('recovering');
    await looping.shutdown();
    expect(readAudit(warnPath).find((r) => r.event === 'health_warn')).toMatchObject({ reason: 'clean_restart_budget', count: 2 });
  });

  it('lines never interleave with several workers writing at once', async () => {
    const path = auditPath();
    const g = await startGateway({ flags: ['--audit-file', path, '--workers', '4'] });
    for (const id of ['w1', 'w2', 'w3', 'w4']) await g.waitForState('healthy', id);
    for (const id of ['w1', 'w2', 'w3', 'w4']) process.kill(g.supervisor.pid(id)!, 'SIGKILL');
    for (const id of ['w1', 'w2', 'w3', 'w4']) await g.waitFor((s) => s.matches('healthy') && s.context.run === 2, id);
    await g.shutdown();
    const records = readAudit(path);
    expect(records.filter((r) => r.event === 'worker_exited' && r.class === 'crash')).toHaveLength(4);
  });

  it('a write error is logged once and never stops supervision', async () => {
    const g = await startGateway({ flags: ['--audit-file', '/nonexistent-dir/audit.jsonl'] });
    await g.waitForState('healthy');
    process.kill(g.supervisor.pid('w1')!, 'SIGKILL');
    await g.waitFor((s) => s.matches('healthy') && s.context.run === 2);
    const completion = await g.client().chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'still serving' }] });
    expect(completion.choices[0]!.message.content).toBe('Echo: still serving');
    expect(g.logs.filter((line) => line.includes('audit trail /nonexistent-dir/audit.jsonl cannot be written'))).toHaveLength(1);
  });
});
