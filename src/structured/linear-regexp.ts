import { RE2JS } from 're2js';
import type { RegExpEngine } from 'ajv/dist/types/index.js';

// JSON Schema `pattern`s (and `patternProperties`) come from clients, and the answers they check come
// from a model: with JavaScript's backtracking RegExp, `^(x+)+y$` against 32 x's freezes the event
// loop for seconds, doubling per character. RE2's automaton (re2js, a pure-JS port) matches in time
// linear in the input, whatever the pattern; the price is RE2's syntax — no backreferences, no
// lookaround — and a pattern that uses them is refused when the schema is compiled (a 400).
export const linearRegExp: RegExpEngine = Object.assign(
  (pattern: string, flags: string) => {
    let compiled: RE2JS;
    try {
      compiled = RE2JS.compile(pattern);
    } catch (error) {
      throw new Error(
        `pattern ${JSON.stringify(pattern.length > 80 ? `${pattern.slice(0, 80)}…` : pattern)} is not supported: lifeguard checks patterns with a linear-time engine (RE2 syntax: no backreferences or lookaround): ${(error as Error).message}`,
      );
    }
    // ajv keys its compiled patterns by toString(): it must name this pattern, or every pattern
    // would share the first one compiled.
    return { test: (text: string) => compiled.test(text), toString: () => `/${pattern}/${flags}` };
  },
  { code: 'require("re2js").RE2JS.compile' },
);
