import { describe, expect, it } from 'vitest';
import { parseWorkerLine } from '../../../src/drivers/jsonl/jsonl-messages.js';

describe('jsonl v1 worker messages', () => {
  it.each([
    ['{"type":"ready","models":["demo"],"limits":{"token_limit":1000,"turn_limit":4},"max_concurrency":2}', { type: 'ready', models: ['demo'], limits: { tokenLimit: 1000, turnLimit: 4 }, maxConcurrency: 2 }],
    ['{"type":"ready","models":["demo"]}', { type: 'ready', models: ['demo'] }],
    ['{"type":"pong","id":"p1"}', { type: 'pong', id: 'p1' }],
    ['{"type":"delta","id":"r1","content":"Hel"}', { type: 'delta', id: 'r1', content: 'Hel', toolCalls: [] }],
    [
      '{"type":"delta","id":"r1","tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\\"ci"}}]}',
      { type: 'delta', id: 'r1', content: '', toolCalls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"ci' } }] },
    ],
    [
      '{"type":"delta","id":"r1","content":"","tool_calls":[{"index":0,"function":{"arguments":"ty\\":1}"}}]}',
      { type: 'delta', id: 'r1', content: '', toolCalls: [{ index: 0, function: { arguments: 'ty":1}' } }] },
    ],
    [
      '{"type":"done","id":"r1","finish_reason":"stop","usage":{"prompt_tokens":12,"completion_tokens":5},"context":{"tokens":1234,"turns":3}}',
      { type: 'done', id: 'r1', finishReason: 'stop', usage: { promptTokens: 12, completionTokens: 5 }, context: { tokens: 1234, turns: 3 } },
    ],
    ['{"type":"error","id":"r1","message":"boom","retryable":true}', { type: 'error', id: 'r1', message: 'boom', retryable: true }],
    ['{"type":"heartbeat"}', { type: 'heartbeat' }],
  ])('%s parses', (line, expected) => {
    expect(parseWorkerLine(line)).toEqual(expected);
  });

  it.each([
    ['not json', 'not JSON'],
    ['[1,2]', 'no "type" field'],
    ['{"type":"ready"}', 'ready without a "models" array of strings'],
    ['{"type":"delta","id":"r1"}', 'delta without "id" or string "content"'],
    ['{"type":"done"}', 'done without "id"'],
    ['{"type":"delta","id":"r1","tool_calls":{}}', 'delta whose "tool_calls" is not an array'],
    ['{"type":"delta","id":"r1","tool_calls":[{"id":"c"}]}', 'tool call without an integer "index"'],
    ['{"type":"delta","id":"r1","tool_calls":[{"index":0,"function":{"arguments":{}}}]}', 'tool call whose "id", "function.name" or "function.arguments" is not a string'],
    ['{"type":"surprise"}', 'unknown type "surprise"'],
  ])('%s is invalid: %s', (line, reason) => {
    expect(parseWorkerLine(line)).toEqual({ invalid: reason });
  });
});
