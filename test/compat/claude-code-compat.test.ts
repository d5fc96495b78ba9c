import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeAnthropic } from '../fixtures/fake-anthropic-api.js';
import { CLAUDE_CLI, startClaudeFixture } from '../support/claude-code.js';
import { startGateway, type Gateway } from '../support/start-gateway.js';

// The claude-code driver (the real CLI against a fake Anthropic API) takes neither stop sequences nor a
// token limit: lifeguard applies both; and the CLI's user message takes images and documents.
let g: Gateway;
let api: FakeAnthropic;

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const PDF = Buffer.from('%PDF-1.1\ntrailer<<>>\n%%EOF\n').toString('base64');

beforeAll(async () => {
  const fixture = await startClaudeFixture({ deltaDelayMs: 20 });
  api = fixture.api;
  g = await startGateway({
    flags: ['--driver', 'claude-code', '--model', 'claude-sonnet-4-5', '--worker-cwd', fixture.cwd, '--startup-timeout-ms', '20000', '--standby', '0', '--isolation', 'shared'],
    workerCommand: [process.execPath, CLAUDE_CLI],
    workerEnv: fixture.env,
  });
  await g.waitForState('healthy', 'w1', 30_000);
});
afterAll(async () => {
  await g?.shutdown();
  await api?.close();
});

const lastUserContent = () => {
  const messages = api.requests.at(-1)!.messages as Array<{ role: string; content: unknown }>;
  return messages.filter((m) => m.role === 'user').at(-1)!.content as Array<Record<string, unknown>>;
};

describe('lifeguard applies what the claude-code driver cannot', () => {
  it('an image and a PDF in a user turn reach the model through the CLI as image and document blocks', async () => {
    const client = new Anthropic({ baseURL: g.url, apiKey: 'unused' });
    const message = await client.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 100,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'describe these' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
            { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: PDF } },
          ],
        },
      ],
    });
    expect(message.content).toEqual([{ type: 'text', text: 'Echo: describe these' }]);
    const content = lastUserContent();
    expect(content).toContainEqual(expect.objectContaining({ type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } }));
    expect(content).toContainEqual(expect.objectContaining({ type: 'document', source: expect.objectContaining({ type: 'base64', media_type: 'application/pdf', data: PDF }) }));
  });

  it('a part the CLI cannot take is a 400 naming it', async () => {
    await expect(
      g.client().chat.completions.create({ model: 'm', messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }] }] }),
    ).rejects.toMatchObject({ status: 400, param: 'messages[0].content[0].type' });
  });

  it('stop: the answer is cut before the sequence and the turn interrupted; the process serves the next request', async () => {
    const cut = await g.client().chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'one two three four five six' }], stop: ['thr'] });
    expect(cut.choices[0]).toMatchObject({ message: { content: 'Echo: one two ' }, finish_reason: 'stop' });
    const next = await g.client().chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'still here' }] });
    // (The CLI itself tells the model its last turn was interrupted: "[Request interrupted by user]".)
    expect(next.choices[0]!.message.content).toMatch(/^Echo: [\s\S]*still here$/);
  });

  it('max_tokens: lifeguard stops the answer at its own count (4 characters a token) and says max_tokens', async () => {
    const client = new Anthropic({ baseURL: g.url, apiKey: 'unused' });
    const message = await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 3, messages: [{ role: 'user', content: 'one two three four five six' }] });
    expect(message).toMatchObject({ content: [{ type: 'text', text: 'Echo: one tw' }], stop_reason: 'max_tokens' });
  });
});
