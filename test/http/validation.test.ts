import fc from 'fast-check';
import { Agent, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from '../support/start-gateway.js';

let g: Gateway;
beforeAll(async () => {
  g = await startGateway({ flags: ['--api-key', 'sk-test-key', '--body-limit-bytes', '4096', '--request-timeout-ms', '5000'] });
  await g.waitForState('healthy');
});
afterAll(async () => {
  await g.shutdown();
});

const auth = { authorization: 'Bearer sk-test-key' };

// A POST whose body goes in pieces with chunked transfer coding, on the given agent's connection.
function chunkedPost(url: string, agent: Agent, pieces: string[]): Promise<{ status: number; body: string; reusedSocket: boolean }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path: '/v1/chat/completions', method: 'POST', agent, headers: { 'content-type': 'application/json', ...auth } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, reusedSocket: req.reusedSocket }));
    });
    req.on('error', reject);
    for (const piece of pieces) req.write(piece);
    req.end();
  });
}

describe('client auth', () => {
  it('401 without the key, and with a wrong one, in OpenAI error shape', async () => {
    const attempts: Array<Record<string, string>> = [{}, { authorization: 'Bearer wrong' }, { authorization: 'sk-test-key' }];
    for (const headers of attempts) {
      const response = await g.post('/v1/chat/completions', { messages: [{ role: 'user', content: 'hi' }] }, headers);
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: { type: 'authentication_error', code: 'invalid_api_key' } });
    }
    expect((await g.get('/v1/models')).status).toBe(401);
  });

  it('the SDK with the key is served; /health needs no key', async () => {
    const completion = await g.client('sk-test-key').chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'authorised' }] });
    expect(completion.choices[0]!.message.content).toBe('Echo: authorised');
    expect((await g.get('/health')).status).toBe(200);
  });
});

describe('bad input gets a clear 400 naming the field', () => {
  it('malformed JSON', async () => {
    const response = await g.post('/v1/chat/completions', '{"messages": [', auth);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { type: 'invalid_request_error', param: 'body', message: expect.stringMatching(/^Request body is not valid JSON/) } });
  });

  it.each([
    [{}, 'messages', "Invalid value for 'messages': expected an array of messages, got undefined"],
    [{ messages: 'hi' }, 'messages', `Invalid value for 'messages': expected an array of messages, got string "hi"`],
    [{ messages: [] }, 'messages', "Invalid value for 'messages': expected at least one message, got array []"],
    [{ messages: [{ role: 'robot', content: 'x' }] }, 'messages[0].role', expect.stringContaining("'messages[0].role': expected one of system")],
    [{ messages: [{ role: 'user' }] }, 'messages[0].content', expect.stringContaining("'messages[0].content'")],
    [{ messages: [{ role: 'user', content: 5 }] }, 'messages[0].content', expect.stringContaining('got number 5')],
    [{ messages: [{ role: 'user', content: 'x' }], stream: 'yes' }, 'stream', `Invalid value for 'stream': expected a boolean, got string "yes"`],
    [{ messages: [{ role: 'user', content: 'x' }], temperature: 9 }, 'temperature', expect.stringContaining('from 0 to 2')],
    [{ messages: [{ role: 'user', content: 'x' }], n: 17 }, 'n', expect.stringContaining('from 1 to 16')],
    [{ messages: [{ role: 'user', content: 'x' }], model: 42 }, 'model', expect.stringContaining('non-empty string')],
    [{ messages: [{ role: 'user', content: 'x' }], stream_options: { include_usage: 'y' } }, 'stream_options.include_usage', expect.stringContaining('a boolean')],
  ])('%j → param %s', async (body, param, message) => {
    const response = await g.post('/v1/chat/completions', body, auth);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: { type: 'invalid_request_error', code: 'invalid_request', param, message } });
  });

  it('413 on a body over the limit', async () => {
    const response = await g.post('/v1/chat/completions', { messages: [{ role: 'user', content: 'x'.repeat(5000) }] }, auth);
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ error: { code: 'request_too_large', message: 'Request body exceeds the limit of 4096 bytes' } });
  });

  it('a chunked body (no Content-Length) is counted as it arrives: 413 past the limit, and the connection serves on', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const big = JSON.stringify({ messages: [{ role: 'user', content: 'x'.repeat(5000) }] });
      const refused = await chunkedPost(g.url, agent, [big.slice(0, 3000), big.slice(3000)]);
      expect(refused.status).toBe(413);
      expect(JSON.parse(refused.body)).toMatchObject({ error: { code: 'request_too_large', message: 'Request body exceeds the limit of 4096 bytes' } });
      const small = JSON.stringify({ messages: [{ role: 'user', content: 'in two pieces' }] });
      const served = await chunkedPost(g.url, agent, [small.slice(0, 20), small.slice(20)]);
      expect(served.status).toBe(200);
      expect(JSON.parse(served.body).choices[0].message.content).toBe('Echo: in two pieces');
      expect(served.reusedSocket).toBe(true);
    } finally {
      agent.destroy();
    }
  });

  it('404 in OpenAI shape for an unknown route', async () => {
    const response = await g.get('/v1/nothing', auth);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: 'not_found' } });
  });

  it('no input yields a 500 or a hang (property-based)', async () => {
    const message = fc.record(
      {
        role: fc.oneof(fc.constantFrom('user', 'system', 'assistant', 'robot'), fc.anything()),
        content: fc.oneof(fc.string({ maxLength: 40 }), fc.anything()),
      },
      { requiredKeys: [] },
    );
    const body = fc.oneof(
      fc.anything(),
      fc.record(
        {
          model: fc.oneof(fc.string({ maxLength: 20 }), fc.anything()),
          messages: fc.oneof(fc.array(message, { maxLength: 3 }), fc.anything()),
          stream: fc.oneof(fc.boolean(), fc.anything()),
          temperature: fc.oneof(fc.double(), fc.anything()),
          n: fc.anything(),
          stream_options: fc.anything(),
        },
        { requiredKeys: [] },
      ),
    );
    const text = fc.oneof(body.map((b) => JSON.stringify(b) ?? 'null'), fc.string({ maxLength: 60 }));
    await fc.assert(
      fc.asyncProperty(text, async (payload) => {
        const response = await g.post('/v1/chat/completions', payload, auth);
        const answer = await response.text();
        expect([200, 400, 413]).toContain(response.status);
        if (response.status !== 200) expect(JSON.parse(answer)).toHaveProperty('error.message');
      }),
      { numRuns: 150, interruptAfterTimeLimit: 60_000 },
    );
  });
});
