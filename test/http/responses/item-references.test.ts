import { describe, expect, it } from 'vitest';
import { MAX_ITEM_REFERENCES, MAX_REFERENCED_BYTES } from '../../../src/http/responses/responses-request.js';
import { gatewayPerTest, type Gateway } from '../../support/start-gateway.js';

const start = gatewayPerTest();

// Asks for an answer and returns the id of its output message (which lifeguard now remembers).
async function rememberedAnswer(g: Gateway, input: string): Promise<{ id: string; bytes: number }> {
  const response = await g.post('/v1/responses', { input });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { output: Array<{ id: string }> };
  return { id: body.output[0]!.id, bytes: Buffer.byteLength(JSON.stringify(body.output[0])) };
}

const references = (id: string, count: number) => [
  { role: 'user', content: 'first' },
  ...Array.from({ length: count }, () => ({ type: 'item_reference', id })),
  { role: 'user', content: 'and now?' },
];

describe('item_reference is bounded (issue 22)', () => {
  it('1 000 references to one remembered 313 KiB answer are a 400 naming the byte limit, and lifeguard stays responsive', async () => {
    const g = await start();
    await g.waitForState('healthy');
    const big = await rememberedAnswer(g, `[[repeat:320]] ${'x'.repeat(1000)}`);
    expect(big.bytes).toBeGreaterThan(300 * 1024);
    const response = await g.post('/v1/responses', { input: references(big.id, 1000) });
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: { param: string; message: string } };
    expect(error.message).toContain(`more than ${MAX_REFERENCED_BYTES} bytes`);
    expect(error.param).toMatch(/^input\[\d+\]$/);
    // It stopped at the reference that passed the limit, not after resolving all 1 000.
    expect(Number(/\[(\d+)\]/.exec(error.param)![1])).toBeLessThanOrEqual(Math.ceil(MAX_REFERENCED_BYTES / big.bytes) + 1);
    expect((await g.get('/livez')).status).toBe(200);
    // A few references to it still resolve.
    const few = await g.post('/v1/responses', { input: references(big.id, 2) });
    expect(few.status).toBe(200);
  });

  it(`more than ${MAX_ITEM_REFERENCES} references in one request are a 400 naming the count limit`, async () => {
    const g = await start();
    await g.waitForState('healthy');
    const small = await rememberedAnswer(g, 'short');
    const response = await g.post('/v1/responses', { input: references(small.id, MAX_ITEM_REFERENCES + 1) });
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: { param: string; message: string } };
    expect(error).toMatchObject({ param: `input[${MAX_ITEM_REFERENCES + 1}]`, message: expect.stringContaining(`at most ${MAX_ITEM_REFERENCES} item_references`) });
    expect((await g.post('/v1/responses', { input: references(small.id, MAX_ITEM_REFERENCES) })).status).toBe(200);
  });
});
