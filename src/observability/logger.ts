// Moved to src/util/logger.ts (STYLE rule 18: the logger sits beneath its users). This re-export
// keeps branches that still import the old path compiling until they are merged; then delete it.
export * from '../util/logger.js';
