import { describe, expect, it } from 'vitest';
import { answeredDigest, prefixDigests } from '../../src/conversations/conversation-digest.js';
import type { ChatMessage } from '../../src/drivers/driver.js';

describe('conversation digests', () => {
  it('a client echoing an answer back continues the digest the answer left, however it reformats it', () => {
    const asked: ChatMessage[] = [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hi' }];
    const after = answeredDigest(prefixDigests(asked).at(-1)!, { content: 'Hello!', toolCalls: [] });
    const resent: ChatMessage[] = [
      { role: 'developer', content: [{ type: 'text', text: 'be brief' }] },
      { role: 'user', content: ' hi ', name: 'someone' },
      { role: 'assistant', content: 'Hello!', refusal: null },
      { role: 'user', content: 'and now?' },
    ];
    expect(prefixDigests(resent)[3]).toBe(after);
    expect(prefixDigests(resent)).toHaveLength(5);
  });

  it('tool calls and the call a result answers are part of a message; text that differs is another conversation', () => {
    const call = { id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } };
    const base = prefixDigests([{ role: 'user', content: 'find x' }]).at(-1)!;
    const answered = answeredDigest(base, { content: '', toolCalls: [{ id: 'call_1', name: 'lookup', arguments: '{"q":"x"}' }] });
    const echoed = prefixDigests([{ role: 'user', content: 'find x' }, { role: 'assistant', content: null, tool_calls: [call] }]);
    expect(echoed[2]).toBe(answered);
    expect(answeredDigest(base, { content: '', toolCalls: [] })).not.toBe(answered);
    const result = (id: string) => prefixDigests([{ role: 'tool', content: 'found', tool_call_id: id }])[1];
    expect(result('call_1')).not.toBe(result('call_2'));
    expect(prefixDigests([{ role: 'user', content: 'find y' }])[1]).not.toBe(base);
  });
});
