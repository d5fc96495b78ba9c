import { hash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashText, TextHash } from '../../src/conversations/text-hash.js';

describe('a text hashed in pieces', () => {
  it('gives the hash of the whole text (trimmed, with trim) after its prefix, however it is cut, surrogate pairs and whitespace included', () => {
    const pieces = fc.array(fc.string({ unit: fc.constantFrom('a', ' ', '\n', '\ud83d', '\ude00', 'é', '\u3000', '\t') }), { maxLength: 8 });
    fc.assert(
      fc.property(pieces, (parts) => {
        const whole = parts.join('');
        for (const trim of [true, false]) {
          // Gathered and hashed at the end (short), hashed as it comes from the first piece, or from the third character on.
          for (const bufferedChars of [16 * 1024, 0, 3]) {
            for (const prefix of ['', 'before \n ']) {
              const hashed = new TextHash(trim, bufferedChars, prefix);
              for (const part of parts) hashed.update(part);
              expect(hashed.digest()).toBe(hash('sha256', prefix + (trim ? whole.trim() : whole)));
            }
          }
          expect(hashText(whole, trim)).toBe(hash('sha256', trim ? whole.trim() : whole));
        }
      }),
      { numRuns: 2000 },
    );
  });
});
