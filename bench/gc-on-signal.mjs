// Loaded by bench/memory.ts only (node --expose-gc --import ./bench/gc-on-signal.mjs): SIGUSR2 runs a
// full garbage collection, so the bench can read the RSS that is left once nothing collectable remains.
process.on('SIGUSR2', () => {
  globalThis.gc?.();
  process.stderr.write('gc done\n');
});
