import { describe, expect, it } from 'vitest';
import { ConversationLostError } from '../../src/errors.js';
import { createRouter } from '../../src/supervisor/router.js';

describe('the router queue', () => {
  it('a waiting request whose chooser refuses it (its conversation was lost meanwhile) fails alone; the others still get their choice', async () => {
    const router = createRouter({ queueSize: 10, queueWaitMs: 60_000, allUnavailable: () => false });
    let lost = false;
    let free = false;
    const refused = router.wait(() => {
      if (lost) throw new ConversationLostError('0123abcd');
      return null;
    });
    const served = router.wait(() => (free ? 'w1' : null));
    lost = true;
    free = true;
    router.pump();
    await expect(refused).rejects.toBeInstanceOf(ConversationLostError);
    await expect(served).resolves.toBe('w1');
    expect(router.depth()).toBe(0);
  });
});
