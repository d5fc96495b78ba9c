import { describe, expect, it } from 'vitest';
import { Cancellation } from '../../src/util/cancellation.js';
import type { AnswerEvent, ChatRequestBody } from '../../src/drivers/driver.js';
import { StructuredOutputError } from '../../src/errors.js';
import { silentLogger } from '../../src/util/logger.js';
import { structuredOutputFor, withStructuredOutput } from '../../src/structured/structured-dispatch.js';
import type { Dispatch } from '../../src/supervisor/supervisor.js';

// A dispatch whose worker answers the scripted texts in turn, recording the bodies and returned leases.
function scriptedDispatch(...answers: string[]) {
  const bodies: ChatRequestBody[] = [];
  let released = 0;
  const dispatch = async (body: ChatRequestBody): Promise<Dispatch> => {
    bodies.push(body);
    const text = answers.shift() ?? '';
    const events: AnswerEvent[] = [
      { type: 'delta', content: text },
      { type: 'done', finishReason: 'stop', usage: { promptTokens: 10, completionTokens: 1 }, context: null },
    ];
    return {
      workerId: 'w1',
      run: 1,
      requestId: `r${bodies.length}`,
      stalled: () => undefined,
      events: {
        [Symbol.asyncIterator]: () => {
          const inner = events[Symbol.iterator]();
          return {
            next: async () => inner.next(),
            return: async () => {
              released += 1;
              return { done: true as const, value: undefined };
            },
          };
        },
      },
    };
  };
  return { dispatch, bodies, released: () => released };
}

const format = {
  type: 'json_schema',
  json_schema: { name: 'n', strict: true, schema: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'], additionalProperties: false } },
};
const request = (extra: Record<string, unknown> = {}): ChatRequestBody => ({ messages: [{ role: 'system', content: 'Count.' }, { role: 'user', content: 'How many?' }], response_format: format, ...extra });

async function drain(dispatch: Dispatch) {
  const events: AnswerEvent[] = [];
  for await (const event of dispatch.events) events.push(event);
  return events;
}

describe('withStructuredOutput around the dispatch', () => {
  it('the corrective follow-up is the conversation sent, the invalid answer and what failed; usage counts both turns', async () => {
    const worker = scriptedDispatch('{"n": "two"}', 'It is {"n": 2}.');
    const dispatch = withStructuredOutput(worker.dispatch, { instruct: true, logger: silentLogger });
    const events = await drain(await dispatch(request(), new Cancellation()));
    expect(events).toEqual([
      { type: 'delta', content: '{"n":2}' },
      { type: 'done', finishReason: 'stop', usage: { promptTokens: 20, completionTokens: 2 }, context: null },
    ]);
    const [asked, followUp] = worker.bodies;
    expect(asked!.messages[1]!.content).toMatch(/^How many\?\n\nAnswer with one JSON value that conforms to the JSON Schema "n"/);
    expect(followUp!.messages.slice(0, 2)).toEqual(asked!.messages);
    expect(followUp!.messages[2]).toEqual({ role: 'assistant', content: '{"n": "two"}' });
    expect(followUp!.messages[3]).toMatchObject({ role: 'user', content: expect.stringContaining('/n must be integer') });
    expect(worker.released()).toBe(2);
  });

  it('a second invalid answer is a StructuredOutputError naming what failed', async () => {
    const worker = scriptedDispatch('nope', 'still nope');
    const dispatch = withStructuredOutput(worker.dispatch, { instruct: true, logger: silentLogger });
    await expect(drain(await dispatch(request(), new Cancellation()))).rejects.toThrow(StructuredOutputError);
    expect(worker.bodies).toHaveLength(2);
    expect(worker.released()).toBe(2);
  });

  it('an answer abandoned before its first read still gives the lease back', async () => {
    const worker = scriptedDispatch('{"n": 1}');
    const dispatch = await withStructuredOutput(worker.dispatch, { instruct: true, logger: silentLogger })(request(), new Cancellation());
    await dispatch.events[Symbol.asyncIterator]().return?.();
    expect(worker.released()).toBe(1);
  });

  it('without instruct the body reaches the worker untouched; without a JSON format nothing is checked', async () => {
    const worker = scriptedDispatch('{"n": 3}', 'plain text');
    const dispatch = withStructuredOutput(worker.dispatch, { instruct: false, logger: silentLogger });
    const body = request();
    await drain(await dispatch(body, new Cancellation()));
    expect(worker.bodies[0]).toBe(body);
    const text = await drain(await dispatch(request({ response_format: { type: 'text' } }), new Cancellation()));
    expect(text[0]).toEqual({ type: 'delta', content: 'plain text' });
  });

  it.each([
    ['claude-code', 'auto', { instruct: true }],
    ['jsonl', 'auto', null],
    ['openai-http', 'auto', null],
    ['openai-http', 'validate', { instruct: false }],
    ['claude-code', 'validate', { instruct: true }],
    ['claude-code', 'pass-through', null],
  ] as const)('%s with structured_output %s → %j', (driver, setting, expected) => {
    expect(structuredOutputFor(driver, setting)).toEqual(expected);
  });
});
