import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { PoolContext } from '../../machines/pool-types.js';
import { refuseLostWithoutHistory } from '../../src/conversations/lost-conversation.js';
import { MAX_SESSION_KEY_CHARS, sessionKeyId, shownSessionKey } from '../../src/conversations/session-key.js';
import { ConversationLostError, InvalidRequestError } from '../../src/errors.js';

const sha = (key: string) => createHash('sha256').update(key).digest('hex');

describe('a session key is kept as its SHA-256', () => {
  it.each([
    ['the header', 'h', undefined, sha('h')],
    ['prompt_cache_key', null, 'b', sha('b')],
    ['the header before prompt_cache_key', 'h', 'b', sha('h')],
    ['neither', null, undefined, null],
    ['empty ones as none', '', '', null],
    ['a prompt_cache_key that is not a string as none', null, 42, null],
  ])('%s', (_, header, body, expected) => {
    expect(sessionKeyId(header, body)).toBe(expected);
  });

  it('shows 8 hex digits at most', () => {
    expect(shownSessionKey(sha('h'))).toBe(sha('h').slice(0, 8));
    expect(shownSessionKey(null)).toBeNull();
  });

  it.each([
    ['X-Session-Id', 'x'.repeat(MAX_SESSION_KEY_CHARS + 1), undefined],
    ['prompt_cache_key', null, 'x'.repeat(MAX_SESSION_KEY_CHARS + 1)],
    ['prompt_cache_key', 'fine', 'x'.repeat(MAX_SESSION_KEY_CHARS + 1)],
  ])('a key over the limit in %s is refused, naming the field and the limit', (field, header, body) => {
    const error = (() => {
      try {
        sessionKeyId(header, body);
      } catch (caught) {
        return caught as InvalidRequestError;
      }
      throw new Error('not refused');
    })();
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error.field).toBe(field);
    expect(error.message).toContain(`at most ${MAX_SESSION_KEY_CHARS} characters, got ${MAX_SESSION_KEY_CHARS + 1}`);
    expect(error.message).not.toContain('xxxxxxxx');
  });

  it('a key of exactly the limit is accepted', () => {
    expect(sessionKeyId('x'.repeat(MAX_SESSION_KEY_CHARS), undefined)).toBe(sha('x'.repeat(MAX_SESSION_KEY_CHARS)));
  });
});

describe('a key-alone turn of a lost conversation is refused', () => {
  const K = sha('k');
  const slot = (key: string | null) => ({ conversation: key === null ? null : { digest: 'd', key, tenant: 'anonymous', messageCount: 2, turns: 1, lastUsedAt: 0 } }) as PoolContext['slots'][number];
  const context = (lost: PoolContext['lost'], slots: PoolContext['slots'] = []) => ({ lost, slots });

  it.each([
    ['no key', context([{ digest: 'd', key: K, tenant: 'anonymous' }]), { key: null, hasAssistant: false, tenant: 'anonymous' }, false],
    ['a resent history', context([{ digest: 'd', key: K, tenant: 'anonymous' }]), { key: K, hasAssistant: true, tenant: 'anonymous' }, false],
    ['a key never lost', context([{ digest: 'd', key: sha('other'), tenant: 'anonymous' }]), { key: K, hasAssistant: false, tenant: 'anonymous' }, false],
    ['a lost conversation that was never answered', context([{ digest: '', key: K, tenant: 'anonymous' }]), { key: K, hasAssistant: false, tenant: 'anonymous' }, false],
    ['a key a live process holds again', context([{ digest: 'd', key: K, tenant: 'anonymous' }], [slot(null), slot(K)]), { key: K, hasAssistant: false, tenant: 'anonymous' }, false],
    ['the same key lost by another tenant', context([{ digest: 'd', key: K, tenant: 'other' }]), { key: K, hasAssistant: false, tenant: 'anonymous' }, false],
    ['the key alone, its conversation lost', context([{ digest: 'x', key: null, tenant: 'anonymous' }, { digest: 'd', key: K, tenant: 'anonymous' }], [slot(sha('other'))]), { key: K, hasAssistant: false, tenant: 'anonymous' }, true],
  ])('%s', (_, pool, request, refused) => {
    const run = () => refuseLostWithoutHistory(pool, request);
    if (refused) expect(run).toThrow(ConversationLostError);
    else expect(run).not.toThrow();
  });

  it('the error names the key by its short hash only and says the whole history is needed', () => {
    expect(() => refuseLostWithoutHistory(context([{ digest: 'd', key: K, tenant: 'anonymous' }]), { key: K, hasAssistant: false, tenant: 'anonymous' })).toThrow(
      expect.objectContaining({ kind: 'conversation_lost', keyHash: K.slice(0, 8), message: expect.stringContaining('send the whole history') }),
    );
  });
});
