import { describe, expect, it } from 'vitest';
import { fixture } from '../support/drivers.js';
import { modelsPerTest, namedWorker } from '../support/start-models.js';

const start = modelsPerTest();

// Two models of different drivers behind one lifeguard whose top-level driver is jsonl: `chat` (a jsonl
// worker that answers "chat (pid P): …") and `llama` (an openai-http model server, started on demand).
// What lifeguard applies itself — the tool policy, stop sequences, embeddings and token counts — follows
// the driver of the model each request names, not the top level's.
const mixed = () => ({
  models: {
    chat: { worker_command: namedWorker('chat') },
    llama: { driver: 'openai-http', worker_command: [process.execPath, fixture('fake-openai-server.mjs'), '--port', '{port}'], start: 'on_demand', aliases: ['local'] },
  },
});

const json = { 'content-type': 'application/json' };

describe('each model’s own policies (embeddings, count_tokens, tools, stop)', () => {
  it('embeddings go to the model the request names: its server answers (started on demand), a jsonl model refuses naming its own driver, an unknown one is a 404', async () => {
    const g = await start(mixed());
    expect(g.phase('llama')).toBe('unloaded');
    const post = (body: unknown) => fetch(`${g.url}/v1/embeddings`, { method: 'POST', headers: json, body: JSON.stringify(body) });

    // The chat model is serving, the llama model is not loaded: the chat model's jsonl workers cannot embed.
    const refused = await post({ model: 'chat', input: 'a' });
    expect(refused.status).toBe(404);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toBe(
      `The model "chat" does not serve embeddings: lifeguard's jsonl worker answers chat only (embeddings are passed through to openai-http workers whose server has /v1/embeddings)`,
    );
    expect(g.phase('llama')).toBe('unloaded');

    // Named by its alias, the llama model starts, its server embeds, and the request no longer counts in flight.
    const embedded = await post({ model: 'local', input: ['a', 'b'] });
    expect(embedded.status).toBe(200);
    expect(((await embedded.json()) as { data: Array<{ embedding: number[] }> }).data.map((d) => d.embedding)).toEqual([
      [0.25, 0.5, 0],
      [0.25, 0.5, 1],
    ]);
    expect(g.models.modelViews().find((m) => m.id === 'llama')).toMatchObject({ phase: 'serving', in_flight: 0, waiting: 0 });

    // Now that a forwarding model is loaded, the chat model still does not hand its embeddings to it.
    expect((await post({ model: 'chat', input: 'a' })).status).toBe(404);
    const unknown = await post({ model: 'gamma', input: 'a' });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('model_not_found');
  });

  it('count_tokens is counted by the named model’s server, and estimated for a jsonl model even while a server is loaded', async () => {
    const g = await start(mixed());
    const count = (model: string) =>
      fetch(`${g.url}/v1/messages/count_tokens`, { method: 'POST', headers: json, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'count these words please' }] }) });
    const upstream = await count('llama');
    expect(upstream.status).toBe(200);
    expect(upstream.headers.get('x-lifeguard-token-count')).toBe('upstream');
    expect(g.phase('llama')).toBe('serving');
    const estimated = await count('chat');
    expect(estimated.status).toBe(200);
    expect(estimated.headers.get('x-lifeguard-token-count')).toBe('estimate');
    expect(((await estimated.json()) as { input_tokens: number }).input_tokens).toBeGreaterThan(0);
  });

  it('a hosted tool is passed to the openai-http model’s server and left out (named in the header) for the jsonl model', async () => {
    const g = await start(mixed());
    const respond = (model: string) =>
      fetch(`${g.url}/v1/responses`, { method: 'POST', headers: json, body: JSON.stringify({ model, input: '[[echo-body]]', tools: [{ type: 'web_search' }] }) });
    const passed = await respond('llama');
    expect(passed.status).toBe(200);
    expect(passed.headers.get('x-lifeguard-tools-dropped')).toBeNull();
    const echoed = (await passed.json()) as { output: Array<{ content: Array<{ text: string }> }> };
    expect(JSON.parse(echoed.output[0]!.content[0]!.text).tools).toEqual([{ type: 'web_search' }]);

    const dropped = await respond('chat');
    expect(dropped.status).toBe(200);
    expect(dropped.headers.get('x-lifeguard-tools-dropped')).toBe('web_search');
    expect(JSON.stringify(await dropped.json())).toMatch(/chat \(pid \d+\)/);
  });

  it('stop sequences are cut by lifeguard for the jsonl model and left to the openai-http model’s server', async () => {
    const g = await start(mixed());
    const ask = async (model: string) => {
      const response = await fetch(`${g.url}/v1/chat/completions`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ model, stop: ['world'], messages: [{ role: 'user', content: 'hello world again' }] }),
      });
      expect(response.status).toBe(200);
      return ((await response.json()) as { choices: Array<{ message: { content: string }; finish_reason: string }> }).choices[0]!;
    };
    // The jsonl worker ignores `stop`: lifeguard cuts before it.
    const cut = await ask('chat');
    expect(cut.message.content).toMatch(/^chat \(pid \d+\): hello $/);
    expect(cut.finish_reason).toBe('stop');
    // The fake server ignores `stop` too, but an openai-http server applies it itself: lifeguard leaves its answer whole.
    expect((await ask('llama')).message.content).toBe('Echo: hello world again');
  });
});
