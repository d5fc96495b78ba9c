import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from '../support/start-gateway.js';

// The official `openai` SDK with its defaults, against lifeguard and the reference worker (which
// answers "Echo: <words>" one word a delta, and takes up to 4 requests at once here).
let g: Gateway;
let client: OpenAI;

beforeAll(async () => {
  g = await startGateway({ workerEnv: { REF_WORKER_CONCURRENCY: '4' } });
  client = new OpenAI({ baseURL: `${g.url}/v1`, apiKey: 'unused' });
});
afterAll(async () => {
  await g?.shutdown();
});

describe('chat completions', () => {
  it('n: 3 gives three indexed choices, each its own dispatch, with the usage summed', async () => {
    const one = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'three ways' }] });
    const three = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'three ways' }], n: 3 });
    expect(three.choices.map((c) => [c.index, c.message.content, c.finish_reason])).toEqual([0, 1, 2].map((i) => [i, 'Echo: three ways', 'stop']));
    expect(three.usage).toMatchObject({ prompt_tokens: 3 * one.usage!.prompt_tokens, completion_tokens: 3 * one.usage!.completion_tokens });
  });

  it('n: 2 streams too: every chunk carries its choice index, each choice finishes, usage once at the end', async () => {
    const stream = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'two streams' }], n: 2, stream: true, stream_options: { include_usage: true } });
    const texts = ['', ''];
    const finished: Array<string | null> = [null, null];
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      for (const choice of chunk.choices) {
        texts[choice.index] += choice.delta.content ?? '';
        if (choice.finish_reason) finished[choice.index] = choice.finish_reason;
      }
      if (chunk.usage) usage = chunk.usage;
    }
    expect(texts).toEqual(['Echo: two streams', 'Echo: two streams']);
    expect(finished).toEqual(['stop', 'stop']);
    expect(usage?.completion_tokens).toBe(6);
  });

  it('stop cuts the answer before the sequence, even across two deltas, and interrupts the worker', async () => {
    const whole = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: '[[slow:150]] one two three four five six seven' }], stop: ['o thr', 'zzz'] });
    expect(whole.choices[0]).toMatchObject({ message: { content: 'Echo: one tw' }, finish_reason: 'stop' });
    const stream = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: '[[slow:150]] one two three four five six seven' }], stop: 'thr', stream: true });
    let text = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect([text, finish]).toEqual(['Echo: one two ', 'stop']);
    // The reference worker says on stderr when a turn of its was cancelled.
    // (Each cut leaves the worker four words of 150 ms each to say: its cancel comes while it still talks.)
    await expect.poll(() => g.logs.filter((line) => line.includes('cancelled ')).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
  });

  it('max_tokens and max_completion_tokens are obeyed (finish_reason length)', async () => {
    const cut = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'one two three four' }], max_tokens: 2 });
    expect(cut.choices[0]).toMatchObject({ message: { content: 'Echo: one ' }, finish_reason: 'length' });
    const newer = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'one two three four' }], max_completion_tokens: 3 });
    expect(newer.choices[0]).toMatchObject({ message: { content: 'Echo: one two ' }, finish_reason: 'length' });
  });

  it('a 400 is logged with its error code and param', async () => {
    await expect(client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }], n: 99 })).rejects.toMatchObject({ status: 400, param: 'n' });
    expect(g.logs.find((line) => line.includes('status=400'))).toMatch(/error=invalid_request param=n\b/);
  });
});

describe('Responses', () => {
  it('hosted tools are left out of what the worker sees and named in X-Lifeguard-Tools-Dropped', async () => {
    const { data, response } = await client.responses
      .create({
        model: 'm',
        input: 'search the web',
        tools: [{ type: 'web_search' }, { type: 'file_search', vector_store_ids: ['vs_1'] }, { type: 'function', name: 'lookup', parameters: { type: 'object', properties: {} }, strict: false }],
      })
      .withResponse();
    expect(data.output_text).toBe('Echo: search the web');
    expect(response.headers.get('x-lifeguard-tools-dropped')).toBe('web_search,file_search');
  });

  it('max_output_tokens ends the response incomplete (max_output_tokens)', async () => {
    const response = await client.responses.create({ model: 'm', input: 'one two three four', max_output_tokens: 2 });
    expect(response.status).toBe('incomplete');
    expect(response.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(response.output_text).toBe('Echo: one ');
  });
});

describe('legacy completions', () => {
  it('a prompt string → choices[0].text; a prompt array with n → every prompt × n, indexed', async () => {
    const one = await client.completions.create({ model: 'm', prompt: 'legacy prompt' });
    expect(one).toMatchObject({ object: 'text_completion', choices: [{ index: 0, text: 'Echo: legacy prompt', finish_reason: 'stop' }] });
    expect(one.usage?.completion_tokens).toBe(3);
    const many = await client.completions.create({ model: 'm', prompt: ['first', 'second'], n: 2 });
    expect(many.choices.map((c) => [c.index, c.text])).toEqual([
      [0, 'Echo: first'],
      [1, 'Echo: first'],
      [2, 'Echo: second'],
      [3, 'Echo: second'],
    ]);
  });

  it('streams text_completion chunks, cut at a stop sequence', async () => {
    const stream = await client.completions.create({ model: 'm', prompt: 'alpha beta gamma', stream: true, stop: ['gam'] });
    let text = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      expect(chunk.object).toBe('text_completion');
      text += chunk.choices[0]?.text ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect([text, finish]).toEqual(['Echo: alpha beta ', 'stop']);
  });
});

describe('routes beside the answer core', () => {
  it('embeddings: a 404 naming the model (a jsonl worker serves none)', async () => {
    await expect(client.embeddings.create({ model: 'text-embedding-3-small', input: 'x' })).rejects.toMatchObject({ status: 404, message: expect.stringContaining('"text-embedding-3-small"') });
  });

  it('an unmatched route is logged and counted', async () => {
    const response = await g.get('/v1/files');
    expect(response.status).toBe(404);
    expect(g.logs.some((line) => line.includes('no route for GET /v1/files'))).toBe(true);
    const metrics = await (await g.get('/metrics')).text();
    expect(metrics).toMatch(/lifeguard_unmatched_routes_total\{method="GET"\} [1-9]/);
  });
});
