import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type OpenAI from 'openai';
import type { SupervisorEvent } from '../../src/supervisor/supervisor.js';
import { gatewayPerTest, type Gateway } from '../support/start-gateway.js';

type Message = OpenAI.Chat.Completions.ChatCompletionMessageParam;

const STATEFUL = { REF_WORKER_STATEFUL: '1' };
const shortHash = (key: string) => createHash('sha256').update(key).digest('hex').slice(0, 8);
const accepting = (g: Gateway, id: string) => g.waitFor((s) => s.hasTag('accepting'), id);

function routes(g: Gateway) {
  const seen: Array<Extract<SupervisorEvent, { type: 'routed' }>> = [];
  g.supervisor.subscribe((event) => {
    if (event.type === 'routed') seen.push(event);
  });
  return seen;
}

async function converse(g: Gateway, history: Message[], content: string, headers: Record<string, string> = {}) {
  history.push({ role: 'user', content });
  const completion = await g.client().chat.completions.create({ model: 'm', messages: history }, { headers });
  const answer = completion.choices[0]!.message.content ?? '';
  history.push({ role: 'assistant', content: answer });
  return answer;
}

// The first SSE event of /admin/events (its snapshot), as text.
async function firstAdminEvent(g: Gateway): Promise<string> {
  const response = await g.get('/admin/events');
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  for (let reads = 0; reads < 1000 && !text.includes('\n\n'); reads++) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  await reader.cancel();
  return text;
}

describe('session keys are credentials (issue 22)', () => {
  const start = gatewayPerTest();

  it('a session key is never shown: /health, /admin/events, the logs and the audit trail carry only 8 hex digits of its SHA-256', async () => {
    const audit = join(mkdtempSync(join(tmpdir(), 'lifeguard-keys-')), 'audit.jsonl');
    const g = await start({ flags: ['--workers', '2', '--standby', '0', '--audit-file', audit], workerEnv: STATEFUL });
    await Promise.all([accepting(g, 'w1'), accepting(g, 'w2')]);
    const headerKey = 'secret-session-header-4711';
    const bodyKey = 'secret-session-body-0815';
    await converse(g, [], 'the PIN is 4711', { 'x-session-id': headerKey });
    const viaBody = await g.post('/v1/chat/completions', { model: 'm', messages: [{ role: 'user', content: 'named in the body' }], prompt_cache_key: bodyKey });
    expect(viaBody.status).toBe(200);

    const healthText = await (await g.get('/health')).text();
    const health = JSON.parse(healthText) as { workers: Array<{ conversation: { key: string | null } | string | null }> };
    const shown = health.workers.map((w) => (typeof w.conversation === 'object' && w.conversation ? w.conversation.key : null)).filter(Boolean);
    expect(shown.sort()).toEqual([shortHash(headerKey), shortHash(bodyKey)].sort());
    const events = await firstAdminEvent(g);
    expect(events).toContain(shortHash(headerKey));
    const everything = [healthText, events, g.logs.join('\n'), readFileSync(audit, 'utf8'), JSON.stringify(g.supervisor.pool!().context)].join('\n');
    expect(everything).not.toContain(headerKey);
    expect(everything).not.toContain(bodyKey);
  });

  it('a session key longer than 256 characters is a 400 naming the field and the limit, never echoed (3 MiB included)', async () => {
    const g = await start();
    await g.waitForState('healthy');
    const huge = 'k'.repeat(3 * 1024 * 1024);
    const viaBody = await g.post('/v1/chat/completions', { model: 'm', messages: [{ role: 'user', content: 'hi' }], prompt_cache_key: huge });
    const bodyText = await viaBody.text();
    expect(viaBody.status).toBe(400);
    expect(bodyText.length).toBeLessThan(1000);
    expect(JSON.parse(bodyText).error).toMatchObject({ code: 'invalid_request', param: 'prompt_cache_key', message: expect.stringContaining('at most 256 characters') });

    const viaResponses = await g.post('/v1/responses', { input: 'hi', prompt_cache_key: huge });
    expect(viaResponses.status).toBe(400);
    expect(((await viaResponses.json()) as { error: { param: string } }).error.param).toBe('prompt_cache_key');

    const viaHeader = await g.post('/v1/chat/completions', { model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true }, { 'x-session-id': 'h'.repeat(257) });
    expect(viaHeader.status).toBe(400);
    expect(((await viaHeader.json()) as { error: { param: string; message: string } }).error).toMatchObject({ param: 'X-Session-Id', message: expect.stringContaining('257') });

    const atLimit = await g.post('/v1/chat/completions', { model: 'm', messages: [{ role: 'user', content: 'hi' }] }, { 'x-session-id': 'h'.repeat(256) });
    expect(atLimit.status).toBe(200);
    const everything = (await (await g.get('/health')).text()) + (await firstAdminEvent(g)) + g.logs.join('\n');
    expect(everything).not.toContain('k'.repeat(300));
    expect(everything).not.toContain('h'.repeat(256));
  });

  it('a conversation continued by its key alone whose process is gone gets 409 conversation_lost; the whole history is served', async () => {
    const g = await start({ flags: ['--workers', '1', '--standby', '1'], workerEnv: STATEFUL });
    await Promise.all([accepting(g, 'w1'), accepting(g, 'w2')]);
    const seen = routes(g);
    const key = 'ticket-7';
    const headers = { 'x-session-id': key };
    const history: Message[] = [];
    await converse(g, history, 'remember 4711', headers);
    const holder = seen[0]!.workerId;
    process.kill(g.supervisor.pid(holder)!, 'SIGKILL');
    await g.waitFor((s) => s.context.run === 2, holder);

    for (const stream of [false, true]) {
      const alone = await g.post('/v1/chat/completions', { model: 'm', stream, messages: [{ role: 'user', content: '[[recall]] what was it?' }] }, headers);
      expect(alone.status).toBe(409);
      const { error } = (await alone.json()) as { error: { code: string; message: string } };
      expect(error.code).toBe('conversation_lost');
      expect(error.message).toContain(shortHash(key));
      expect(error.message).toContain('send the whole history');
      expect(error.message).not.toContain(key);
    }
    // Anthropic's Messages API says the same in its own shape.
    const messages = await g.post('/v1/messages', { model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'again' }] }, headers);
    expect(messages.status).toBe(409);
    expect(await messages.json()).toMatchObject({ type: 'error', error: { message: expect.stringContaining(shortHash(key)) } });

    // The whole history is served on a clean process, and the key continues from there.
    expect(await converse(g, history, '[[recall]] what was it?', headers)).toBe('Recall: remember 4711 | held 3 | received 3');
    expect(seen.map((r) => r.result)).toEqual(['new', 'lost']);
    expect(await converse(g, [], '[[recall]] and now?', headers)).toBe('Recall: remember 4711 | held 5 | received 1');
  });
});
